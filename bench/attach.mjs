#!/usr/bin/env node
// bench/attach: attach N containers through the agent, beside the bare iproute2 commands that give the
// same result, run from a shell script, in the same run on the same lab host. By default with the vxlan router
// running on a 3-host mesh (BENCH_ROUTER=0: one host, no router; BENCH_HOSTS=10 for a bigger mesh), and 20
// attaches at once. Then all N stay attached for a while, and it prints what they cost the host: probe
// processes, neighbour entries, neighbour-table overflows, and the peers' data-plane states. Prints figures,
// never fails on time.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { AgentConnection } from '../dist/agent/rpc.js';
import { CLI_MAIN } from '../dist/agent/client.js';
import { labHost } from '../dist/lab/layout.js';
import { existingHosts } from '../dist/lab/lab.js';
import { namedNetns, overlayNetnsName } from '../dist/net/overlay.js';
import { descendants } from './mesh-procs.mjs';

const ROUTER = process.env.BENCH_ROUTER !== '0';
const HOSTS = ROUTER ? Number(process.env.BENCH_HOSTS ?? 3) : 1;
const N = Number(process.env.BENCH_CONTAINERS ?? (ROUTER ? 200 : 100));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENT = 20;
const h = labHost(1);
const cli = (...args) =>
  execFileSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });

const ownLab = existingHosts().length === 0;
if (ownLab || existingHosts().length < HOSTS) cli('lab', 'up', '--hosts', String(HOSTS));
const docker = new Docker({ socketPath: h.dockerSocket });

if (ROUTER) {
  // The mesh the issue measured on: every host's router running, h2 and h3 joined to h1.
  for (let i = 1; i <= HOSTS; i++) {
    const status = JSON.parse(cli('--lab', `h${i}`, 'status', '--json')).router;
    if (status.state !== 'running')
      cli('--lab', `h${i}`, 'launch', '--nickname', `b${i}`, ...(i > 1 ? ['198.18.0.1'] : []));
  }
  for (let t = 0; ; t++) {
    const peers = JSON.parse(cli('--lab', 'h1', 'status', '--json')).router.peers;
    if (peers.filter((p) => !p.self && p.gossip === 'alive').length >= HOSTS - 1) break;
    if (t > 300) throw new Error('the mesh did not form within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cidr = (i) => `172.26.${Math.floor(i / 250)}.${(i % 250) + 2}/16`;

process.stderr.write(`bench: starting ${N} containers on ${h.name}\n`);
const names = Array.from({ length: N }, (_, i) => `bench${i}`);
for (let i = 0; i < N; i += 10) {
  await Promise.all(
    names.slice(i, i + 10).map(async (name) => {
      const c = await docker.createContainer({ name, Image: 'xnet/busybox:latest', Cmd: ['sleep', '3600'] });
      await c.start();
    }),
  );
}
const pids = await Promise.all(names.map(async (n) => (await docker.getContainer(n).inspect()).State.Pid));

const agent = await AgentConnection.open(h.agentSocket);
const OVERLAY = namedNetns(overlayNetnsName(h.agentStateDir));
// The bridge exists before either side is timed, so neither pays for creating it.
await agent.call('attach', { cidrs: [cidr(0)], container: names[0] });
await agent.call('detach', { cidrs: [], container: names[0] });

// With XNET_TRACE_ATTACH=1 in the lab's environment (lab up), the agent logs each attach's steps: their medians.
const traceFrom = () => {
  try {
    return readFileSync(h.agentLog, 'utf8').length;
  } catch {
    return 0;
  }
};
function traceMedians(offset) {
  const steps = new Map();
  let text = '';
  try {
    text = readFileSync(h.agentLog, 'utf8').slice(offset);
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const m = /attach-trace [^:]+: (.*)$/.exec(line);
    if (!m) continue;
    for (const part of m[1].split(', ')) {
      const [step, ms] = part.split(' ');
      steps.set(step, [...(steps.get(step) ?? []), Number(ms)]);
    }
  }
  if (steps.size === 0) return undefined;
  return [...steps].map(([step, xs]) => `${step} ${median(xs).toFixed(1)}`).join(', ');
}

async function xnetRound() {
  const traced = traceFrom();
  const times = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await agent.call('attach', { cidrs: [cidr(i)], container: names[i] });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const total = Number(process.hrtime.bigint() - start) / 1e6;
  const steps = traceMedians(traced);
  if (steps) process.stderr.write(`bench: agent's steps, median ms: ${steps}\n`);
  for (const n of names) await agent.call('detach', { cidrs: [], container: n });
  return { times, total };
}

// The baseline: what an operator's script would run, one command per step, PIDs already known.
const dir = mkdtempSync(join(tmpdir(), 'xnet-bench-'));
const script = join(dir, 'attach.sh');
writeFileSync(
  script,
  `#!/bin/bash
set -e
start=$(date +%s%N)
while read -r i pid cidr; do
  t0=$(date +%s%N)
  ip link add vxb$i mtu 1500 type veth peer name ethwe mtu 1500 netns $pid
  ip link set vxb$i master xnet
  ip link set dev vxb$i type bridge_slave hairpin on
  ip link set vxb$i up
  nsenter --net=/proc/$pid/ns/net ip addr add $cidr dev ethwe
  nsenter --net=/proc/$pid/ns/net ip link set ethwe up
  echo $(( ($(date +%s%N) - t0) / 1000 ))
done
echo total $(( ($(date +%s%N) - start) / 1000 ))
`,
);
const input = names.map((_, i) => `${i} ${pids[i]} ${cidr(i)}`).join('\n') + '\n';

function baselineRound() {
  // In the overlay namespace, where the agent keeps the bridge and the host-side ends (vxlan's layout).
  const r = spawnSync('nsenter', [`--net=${OVERLAY}`, '--', 'bash', script], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`baseline failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const total = Number(lines.pop().split(' ')[1]) / 1000;
  const times = lines.map((l) => Number(l) / 1000);
  for (const pid of pids)
    spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', 'link', 'del', 'ethwe']);
  return { times, total };
}

const xnetMedians = [],
  baseMedians = [],
  xnetTotals = [],
  baseTotals = [];
for (let r = 0; r < ROUNDS; r++) {
  const b = baselineRound();
  const x = await xnetRound();
  baseMedians.push(median(b.times));
  xnetMedians.push(median(x.times));
  baseTotals.push(b.total);
  xnetTotals.push(x.total);
  process.stderr.write(
    `bench: round ${r + 1}/${ROUNDS}: xnet ${median(x.times).toFixed(2)} ms, baseline ${median(b.times).toFixed(2)} ms\n`,
  );
}
// 20 attaches at once, each on its own connection, as 20 operators or scripts would send them.
const conns = await Promise.all(names.slice(0, CONCURRENT).map(() => AgentConnection.open(h.agentSocket)));
const c0 = process.hrtime.bigint();
await Promise.all(conns.map((c, i) => c.call('attach', { cidrs: [cidr(i)], container: names[i] })));
const concurrentMs = Number(process.hrtime.bigint() - c0) / 1e6;
for (const [i, c] of conns.entries()) {
  await c.call('detach', { cidrs: [], container: names[i] });
  c.close();
}
const t0 = process.hrtime.bigint();
cli('--lab', 'h1', 'attach', cidr(0), names[0]);
const cliMs = Number(process.hrtime.bigint() - t0) / 1e6;
agent.close();

const xm = median(xnetMedians),
  bm = median(baseMedians),
  xt = median(xnetTotals),
  bt = median(baseTotals);
const row = (a, b, c, d) => `${a.padEnd(34)}${b.padStart(12)}${c.padStart(12)}${d.padStart(9)}`;
const mesh = ROUTER ? `, vxlan router running on a ${HOSTS}-host mesh` : ', no router';
console.log(
  `\nbench/attach: ${N} containers on lab host ${h.name}${mesh}, ${ROUNDS} rounds, median of rounds\n`,
);
console.log(row('', 'xnet agent', 'iproute2 sh', 'ratio'));
console.log(row('median time per attach (ms)', xm.toFixed(2), bm.toFixed(2), (xm / bm).toFixed(2)));
console.log(row(`all ${N} attached (ms)`, xt.toFixed(0), bt.toFixed(0), (xt / bt).toFixed(2)));
console.log(`${CONCURRENT} attaches at once (${CONCURRENT} connections): ${concurrentMs.toFixed(0)} ms`);
console.log(`\none attach from the command line, node start-up included: ${cliMs.toFixed(0)} ms`);
const allMs = ROUTER ? 10_000 : 5_000;
console.log(
  `targets: ratio <= 1.5 (${xm / bm <= 1.5 ? 'met' : 'NOT met'}); ${N} attached in < ${allMs / 1000} s (${xt < allMs ? 'met' : 'NOT met'}); ` +
    `${CONCURRENT} at once in < 2 s (${concurrentMs < 2000 ? 'met' : 'NOT met'})`,
);
console.log(
  `load average while it ran (1, 5, 15 min): ${loadavg()
    .map((x) => x.toFixed(1))
    .join(', ')} on this machine`,
);

// All N attached and left to run: what the host pays for them. The kernel's neighbour tables are machine-wide
// (every namespace counts), and table_fulls counts each time one overflowed.
const tableFulls = () =>
  ['arp_cache', 'ndisc_cache']
    .map((t) =>
      readFileSync(`/proc/net/stat/${t}`, 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .reduce((sum, l) => sum + parseInt(l.trim().split(/\s+/).at(-1), 16), 0),
    )
    .reduce((a, b) => a + b, 0);
const learned = (ns) =>
  spawnSync('nsenter', [`--net=${ns}`, '--', 'ip', 'neigh', 'show'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l && !l.includes('PERMANENT')).length;
const fullsBefore = tableFulls();
const agent2 = await AgentConnection.open(h.agentSocket);
for (let i = 0; i < N; i++) await agent2.call('attach', { cidrs: [cidr(i)], container: names[i] });
await new Promise((r) => setTimeout(r, 15_000));
// The lab's own: fping processes under one of its agents, directly or through its xnet-spawner (nothing else on
// the machine counts).
const agents = new Set(
  Array.from({ length: HOSTS }, (_, i) => readFileSync(labHost(i + 1).agentPidfile, 'utf8').trim()),
);
const underAgents = new Set(descendants([...agents]));
const fping = (
  spawnSync('pgrep', ['-x', 'fping'], { encoding: 'utf8' }).stdout.trim().split('\n') ?? []
).filter((pid) => pid && underAgents.has(Number(pid))).length;
// The agent's own CPU with all N attached and idle, children it reaped included (bpftool, ip, tc), over 10 s,
// and how long its last counter read took: what N idle containers cost each second.
const agentPid = readFileSync(h.agentPidfile, 'utf8').trim();
const cpuTicks = () => {
  const f = readFileSync(`/proc/${agentPid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0); // utime stime cutime cstime
};
// Its children that live on (the batch sessions, bpftool's, serf, its spawner and the fping under that) are not
// reaped within the window, so their CPU is counted apart, by command: pid -> [comm, utime + stime].
const livingChildren = () => {
  const out = new Map();
  const spawners = new Set();
  const rows = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.split(') ')[1].split(' ');
      rows.push([pid, comm, f]);
      if (f[1] === agentPid && comm === 'xnet-spawner') spawners.add(pid);
    } catch {
      // gone meanwhile
    }
  }
  for (const [pid, comm, f] of rows)
    if (f[1] === agentPid || spawners.has(f[1])) out.set(pid, [comm, Number(f[11]) + Number(f[12])]);
  return out;
};
const ticks0 = cpuTicks();
const children0 = livingChildren();
await new Promise((r) => setTimeout(r, 10_000));
const agentCpu = (cpuTicks() - ticks0) / 10; // clock ticks of 10 ms over 10 s = % of a core
const childCpu = {};
for (const [pid, [comm, t]] of livingChildren())
  childCpu[comm] = (childCpu[comm] ?? 0) + (t - (children0.get(pid)?.[1] ?? 0)) / 10;
const readMs = JSON.parse(cli('--lab', 'h1', 'status', 'rates', '--json')).counters.readMs;
const inContainers = pids.reduce((sum, pid) => sum + learned(`/proc/${pid}/ns/net`), 0);
const peers = JSON.parse(cli('--lab', 'h1', 'status', '--json')).router.peers.filter((p) => !p.self);
const states = {};
for (const p of peers) states[p.dataPlane.state] = (states[p.dataPlane.state] ?? 0) + 1;
console.log(
  `\nwith all ${N} attached for 15 s on ${h.name}${mesh}: fping processes of the lab's agents ${fping}; ` +
    `learned neighbour entries: host ${learned(h.netnsPath)}, overlay ${learned(OVERLAY)}, ` +
    `all ${N} containers ${inContainers}; neighbour-table overflows during the run ${tableFulls() - fullsBefore}; ` +
    `peers on h1: ${Object.entries(states)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ')} of ${peers.length}; ` +
    `agent CPU ${agentCpu.toFixed(1)} % of a core (children included), last counter read ${readMs} ms; ` +
    `its living children: ${Object.entries(childCpu)
      .map(([c, v]) => `${c} ${v.toFixed(1)} %`)
      .join(', ')}`,
);
for (const n of names) await agent2.call('detach', { cidrs: [], container: n });
agent2.close();

rmSync(dir, { recursive: true, force: true });
await Promise.all(names.map((n) => docker.getContainer(n).remove({ force: true })));
if (ownLab) cli('lab', 'down');
