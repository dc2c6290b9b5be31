import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labHost, type LabHost } from '../../src/lab/layout.js';
import { containerMac, hostVethName } from '../../src/net/veth.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { nsh, osh, overlayOf } from '../helpers/lab.js';

// Issue 13 item 1: an agent that finds the layout of state schema 1 (the xnet bridge, the VXLAN device and the
// containers' host-side veths in the host's namespace) moves it into the overlay namespace; the container keeps
// its address and MAC and pings across the mesh.
const [h1, h2] = [labHost(1), labHost(2)] as [LabHost, LabHost];
const OLD = '172.25.11.50/24';
const FAR = '172.25.11.40/24';
const docker = (h: LabHost, argv: string[]): string =>
  execFileSync('docker', ['-H', h.dockerHost, ...argv], { encoding: 'utf8' }).trim();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pidIn = (file: string): number => Number(readFileSync(file, 'utf8').trim());
function inContainer(h: LabHost, name: string, argv: string[]): string {
  const pid = docker(h, ['inspect', '-f', '{{.State.Pid}}', name]);
  return sh('nsenter', [`--net=/proc/${pid}/ns/net`, '--', ...argv]);
}
function ethwe(h: LabHost, name: string): { addrs: string[]; mac: string } | null {
  const all = JSON.parse(inContainer(h, name, ['ip', '-json', 'addr', 'show'])) as Array<{
    ifname: string;
    address: string;
    addr_info: Array<{ family: string; local: string; prefixlen: number }>;
  }>;
  const l = all.find((x) => x.ifname === 'ethwe');
  return l
    ? {
        addrs: l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
        mac: l.address,
      }
    : null;
}
function pings(h: LabHost, from: string, to: string): boolean {
  try {
    labSh(h.name, ['docker', 'exec', from, 'ping', '-c', '1', '-W', '1', to]);
    return true;
  } catch {
    return false;
  }
}

describe('an agent finding the old layout (schema 1) moves it into the overlay namespace', () => {
  beforeAll(async () => {
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    docker(h1, ['run', '-d', '--name', 'old', 'xnet/busybox', 'sleep', '3600']);
    docker(h2, ['run', '-d', '--name', 'far', 'xnet/busybox', 'sleep', '3600']);
    await xnetJson(['--lab', 'h2', 'launch', '--nickname', 'two']);
    await xnetJson(['--lab', 'h2', 'attach', FAR, 'far']);
    // h1's agent away, as for an upgrade: the supervisor first (or it would start another), then the agent and
    // its standby (which would take over).
    const supervisor = pidIn(h1.supervisorPidfile);
    const children = sh('pgrep', ['-P', String(supervisor)])
      .split('\n')
      .filter(Boolean)
      .map(Number);
    process.kill(supervisor, 'SIGKILL');
    for (const pid of children) process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 100 && (await xnet(['--lab', 'h1', '--no-start', 'status'])).code === 0; i++)
      await sleep(100);
    expect((await xnet(['--lab', 'h1', '--no-start', 'status'])).code).not.toBe(0);
  }, 120_000);

  afterAll(async () => {
    await xnet(['lab', 'down']);
  });

  it('keeps the container its address and MAC, pings across, and leaves nothing in the host namespace', async () => {
    expect(existsSync(overlayOf(h1))).toBe(false);
    // What an agent of schema 1 built: everything in the host's namespace.
    const id = docker(h1, ['inspect', '-f', '{{.Id}}', 'old']);
    const pid = docker(h1, ['inspect', '-f', '{{.State.Pid}}', 'old']);
    const vx = hostVethName(id);
    for (const line of [
      'link add xnet mtu 1450 type bridge',
      'link set xnet up',
      `link add xnet-vx mtu 1450 type vxlan id 30830 dstport 4789 local ${h1.address} dev eth0`,
      'link set xnet-vx master xnet',
      'link set xnet-vx up',
      `link add ${vx} mtu 1450 type veth peer name ethwe address ${containerMac(id)} mtu 1450 netns ${pid}`,
      `link set ${vx} master xnet`,
      `link set ${vx} up`,
    ])
      nsh(h1, ['ip', ...line.split(' ')]);
    nsh(h1, ['bridge', 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'xnet-vx', 'dst', h2.address]);
    inContainer(h1, 'old', ['ip', 'addr', 'add', OLD, 'dev', 'ethwe']);
    inContainer(h1, 'old', ['ip', 'link', 'set', 'ethwe', 'up']);
    const before = ethwe(h1, 'old');
    expect(before).toEqual({ addrs: [OLD], mac: containerMac(id) });
    const state = join(h1.agentStateDir, 'state.json');
    writeFileSync(
      state,
      JSON.stringify({
        version: 1,
        attachments: [
          {
            containerId: id,
            containerName: 'old',
            ifname: 'ethwe',
            cidrs: [OLD],
            since: new Date().toISOString(),
          },
        ],
        router: {
          driver: 'vxlan',
          nickname: 'one',
          listen: h1.address,
          range: '10.32.0.0/12',
          peers: [h2.address],
          running: true,
        },
      }),
      { mode: 0o600 },
    );

    // The new agent (lab up starts h1's supervisor again).
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    const start = Date.now();
    while (!pings(h1, 'old', FAR.split('/')[0]!) && Date.now() - start < 20_000) await sleep(200);
    expect(pings(h1, 'old', FAR.split('/')[0]!)).toBe(true);
    expect(pings(h2, 'far', OLD.split('/')[0]!)).toBe(true);
    expect(ethwe(h1, 'old')).toEqual(before);

    // Host namespace: only the host's end of the pair. Overlay namespace: bridge, tunnel, the container's port.
    const host = nsh(h1, ['ip', '-o', 'link', 'show']);
    expect(host).not.toMatch(/: (xnet|xnet-vx|vx[0-9a-f]{12})[@:]/);
    expect(host).toMatch(/: xnet-host@/);
    const ports = osh(h1, ['ip', '-o', 'link', 'show', 'master', 'xnet']);
    expect(ports).toMatch(new RegExp(`: ${vx}@`));
    expect(ports).toMatch(/: xnet-vx@/);
    expect(osh(h1, ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables']).trim()).toBe('0');
    expect(JSON.parse(readFileSync(state, 'utf8'))).toMatchObject({ version: 2 });
    const ps = await xnetJson<{ attachments: Array<{ container: string; state: string; live: string[] }> }>([
      '--lab',
      'h1',
      'ps',
    ]);
    expect(ps.attachments).toMatchObject([{ container: 'old', state: 'attached', live: [OLD] }]);
  }, 120_000);
});
