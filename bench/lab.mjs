// What the benches share: the CLI, a call to a lab host's agent, and a lab mesh with one attached container
// per host. Benches need the lab to themselves (their figures would mix with whatever else runs there).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import Docker from 'dockerode';
import { AgentConnection } from '../dist/agent/rpc.js';
import { CLI_MAIN } from '../dist/agent/client.js';
import { labHost } from '../dist/lab/layout.js';
import { existingHosts } from '../dist/lab/lab.js';

export const cli = (...args) => execFileSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8' });

export function needEmptyLab(bench) {
  if (existingHosts().length > 0) {
    console.error(`${bench} needs the lab to itself: run \`xnet-tui lab down\` first`);
    process.exit(2);
  }
}

export async function call(h, method, params) {
  const c = await AgentConnection.open(h.agentSocket);
  try {
    return await c.call(method, params);
  } finally {
    c.close();
  }
}

/**
 * `lab up --hosts n`, a container `bench` on each host attached at 172.25.11.(10+i)/24, and (unless `launch` is
 * false) the router launched on each; with `join`, hosts after h1 launch with h1 as their peer. Returns the hosts
 * and the containers' PIDs.
 */
export async function benchMesh(n, { join = false, launch = true } = {}) {
  cli('lab', 'up', '--hosts', String(n));
  const hosts = Array.from({ length: n }, (_, i) => labHost(i + 1));
  const pids = [];
  for (const [i, h] of hosts.entries()) {
    // A fresh agent per lab: a kept-alive socket to the previous lab's dockerd (same path) would EPIPE.
    const docker = new Docker({ socketPath: h.dockerSocket, agent: new http.Agent({ keepAlive: false }) });
    const c = await docker.createContainer({
      name: 'bench',
      Image: 'xnet/busybox:latest',
      Cmd: ['sleep', '3600'],
    });
    await c.start();
    pids.push((await c.inspect()).State.Pid);
    await call(h, 'attach', { cidrs: [`172.25.11.${10 + i}/24`], container: 'bench' });
  }
  if (launch) await launchMesh(hosts, { join });
  return { hosts, pids };
}

/** The router launched on each host; with `join`, hosts after the first launch with it as their peer. */
export async function launchMesh(hosts, { join = false } = {}) {
  for (const [i, h] of hosts.entries())
    await call(h, 'launch', { nickname: h.name, ...(join && i > 0 ? { peers: [hosts[0].address] } : {}) });
}

/**
 * iperf3 TCP for `seconds` from the client namespace to a server started in the other (paths: /run/netns/NAME
 * or /proc/PID/ns/net); the receiver's Gbit/s. `omit` seconds before them are left out (TCP's slow start).
 */
export function iperf(serverNetns, clientNetns, address, seconds, { omit = 0 } = {}) {
  const server = spawn('nsenter', [`--net=${serverNetns}`, '--', 'iperf3', '-s', '-1', '-B', address], {
    stdio: 'ignore',
  });
  spawnSync('sleep', ['0.3']);
  const r = spawnSync(
    'nsenter',
    [`--net=${clientNetns}`, '--', 'iperf3', '-c', address, '-t', String(seconds), '-O', String(omit), '-J'],
    { encoding: 'utf8' },
  );
  server.kill();
  return JSON.parse(r.stdout).end.sum_received.bits_per_second / 1e9;
}
