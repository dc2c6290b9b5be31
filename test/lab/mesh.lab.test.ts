import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouterStatus, PeerStatus } from '../../src/router/driver.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { nsh, osh, overlayOf, ping, router } from '../helpers/lab.js';
import { labMesh } from '../helpers/mesh.js';
import { eventually, withLogs } from '../helpers/wait.js';

// Three real lab hosts, each with its own dockerd, agent, kernel VXLAN device and serf.
const lab = labMesh({
  hosts: 3,
  containers: [
    { host: 'h1', name: 'c1' },
    { host: 'h2', name: 'c2' },
    { host: 'h3', name: 'c3' },
    { host: 'h3', name: 'dup' },
  ],
  launch: false,
});
const hosts = lab.hosts;
const [h1, h2, h3] = hosts;
async function peer(host: string, address: string): Promise<PeerStatus | undefined> {
  return (await router(host)).peers.find((p) => p.address === address);
}
const alive = (p: PeerStatus | undefined): boolean =>
  p?.gossip === 'alive' && p.dataPlane.state === 'reachable';

describe('the vxlan mesh on three lab hosts', () => {
  beforeAll(() => lab.up());

  afterAll(async () => {
    await lab.down();
    // Each agent's overlay namespace is pinned to outlive it: lab down removes this lab's, by name.
    for (const h of hosts) expect(existsSync(overlayOf(h)), h.name).toBe(false);
  });

  it('refuses bad launch input, changing nothing', async () => {
    const before = nsh(h1, ['ip', '-o', 'link', 'show']);
    for (const [args, field] of [
      [['--listen', '10.9.9.9'], 'listen'],
      [['--listen', 'eth0'], 'listen'],
      [['--range', '10.32.0.0/33'], 'range'],
      // The bridge driver is built: a slice off the LAN is its bad input.
      [['--driver', 'bridge', '--slice', '10.0.0.0/24'], 'slice'],
      [['not-an-address'], 'peer'],
    ] as const) {
      const r = await xnet(['--lab', 'h1', 'launch', ...args, '--json']);
      expect(r.code, r.stdout).toBe(2);
      expect(JSON.parse(r.stdout).error.field).toBe(field);
    }
    expect(nsh(h1, ['ip', '-o', 'link', 'show'])).toBe(before);
    const state = join(h1.agentStateDir, 'state.json');
    expect(existsSync(state) ? readFileSync(state, 'utf8') : '').not.toContain('"router"');
  });

  it('fails on a default range that overlaps a host route, warns on a chosen one', async () => {
    nsh(h3, ['ip', 'route', 'add', '10.40.0.0/16', 'dev', 'eth0']);
    try {
      const r = await xnet(['--lab', 'h3', 'launch']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /default range 10\.32\.0\.0\/12 overlaps the host route 10\.40\.0\.0\/16 dev eth0/,
      );
      const chosen = await xnetJson<{ warnings: string[] }>([
        '--lab',
        'h3',
        'launch',
        '--range',
        '10.40.0.0/16',
      ]);
      expect(chosen.warnings[0]).toMatch(/overlaps the host route 10\.40\.0\.0\/16/);
      expect((await xnet(['--lab', 'h3', 'reset'])).code).toBe(0);
    } finally {
      nsh(h3, ['ip', 'route', 'del', '10.40.0.0/16', 'dev', 'eth0']);
    }
  });

  it('moves an already attached container onto the mesh without re-attaching it', async () => {
    await xnetJson(['--lab', 'h1', 'attach', '172.25.11.23/24', 'c1']);
    const ifindex = () => labSh('h1', ['docker', 'exec', 'c1', 'cat', '/sys/class/net/ethwe/ifindex']).trim();
    const before = ifindex();
    const l = await xnetJson<{ router: RouterStatus }>(['--lab', 'h1', 'launch', '--nickname', 'one']);
    expect(l.router).toMatchObject({
      driver: 'vxlan',
      state: 'running',
      listen: '198.18.0.1',
      bridge: { mtu: 1450 },
    });
    expect(ifindex()).toBe(before);
    expect(labSh('h1', ['docker', 'exec', 'c1', 'cat', '/sys/class/net/ethwe/mtu']).trim()).toBe('1450');
    // The VXLAN device sits beside the bridge in the overlay namespace, its socket in the host's (link-netns).
    expect(osh(h1, ['ip', '-d', 'link', 'show', 'xnet-vx'])).toMatch(
      /link-netns xnet\d*-h1 [^]*vxlan id 30830 local 198\.18\.0\.1 .*dstport 4789/,
    );
    const ports = osh(h1, ['ip', '-o', 'link', 'show', 'master', 'xnet']);
    for (const port of ['xnet-vx', 'xnet-hostport', /vx[0-9a-f]{12}/])
      expect(ports).toMatch(port instanceof RegExp ? port : new RegExp(`: ${port}[@:]`));
    expect(
      osh(h1, [
        'sysctl',
        'net.bridge.bridge-nf-call-iptables',
        'net.bridge.bridge-nf-call-ip6tables',
        'net.bridge.bridge-nf-call-arptables',
      ]),
    ).toMatch(/iptables = 0\n.*ip6tables = 0\n.*arptables = 0/);
    // In the host's namespace only the host's end of the pair, no bridge, tunnel or container port.
    const host = nsh(h1, ['ip', '-o', 'link', 'show']);
    expect(host).toMatch(/: xnet-host@/);
    expect(host).not.toMatch(/: (xnet|xnet-vx|vx[0-9a-f]{12})[@:]/);
  });

  it('joins transitively: h2 connects to h1, h3 only to h2, and h1 sees both', async () => {
    await xnetJson(['--lab', 'h2', 'launch', '--nickname', 'two']);
    await xnetJson(['--lab', 'h3', 'launch', '--nickname', 'three']);
    const connectAt = Date.now();
    const c2 = await xnetJson<{ connections: Array<{ state: string }> }>([
      '--lab',
      'h2',
      'connect',
      '198.18.0.1',
    ]);
    expect(c2.connections[0]!.state).toBe('established');
    await xnetJson(['--lab', 'h3', 'connect', '198.18.0.2']);
    const seen = await eventually(
      'h1 sees h3 alive and reachable',
      () => peer('h1', '198.18.0.3'),
      alive,
      10_000,
    );
    expect(seen.value).toMatchObject({ nickname: 'three', gossip: 'alive', self: false });
    const h3view = await router('h3');
    expect(h3view.peers.map((p) => [p.nickname, p.gossip]).sort()).toEqual([
      ['one', 'alive'],
      ['three', 'alive'],
      ['two', 'alive'],
    ]);
    const human = await xnet(['--lab', 'h1', 'status', 'peers']);
    expect(human.stdout).toMatch(
      /198\.18\.0\.3\s+three\s+198\.18\.0\.3\s+alive\s+reachable\s+\S+ ms\s+\d+[smhd]/,
    );

    // Each peer's since, set by the agent when the state changed (one clock for every lab host): after the
    // connect, not after now, and a later read does not move it.
    const sinces = async () =>
      Object.fromEntries(
        await Promise.all(
          hosts.map(async (h) => {
            const r = await eventually(
              `${h.name} sees both peers reachable`,
              () => router(h.name),
              (x) => x.peers.filter((p) => !p.self).every(alive),
              10_000,
            );
            const others = r.value.peers.filter((p) => !p.self);
            // By address: the router lists peers in serf's member order, which is not stable between reads.
            const sorted = [...others].sort((a, b) => (a.address < b.address ? -1 : 1));
            return [h.name, sorted.map((p) => [p.address, p.gossipSince, p.dataPlane.since])];
          }),
        ),
      );
    const first = await sinces();
    const readAt = Date.now();
    for (const [host, peers] of Object.entries(first)) {
      expect(peers, host).toHaveLength(2);
      for (const [address, gossipSince, dataSince] of peers as [string, number, number][]) {
        for (const t of [gossipSince, dataSince]) {
          expect(t, `${host} -> ${address}`).toBeGreaterThanOrEqual(connectAt);
          expect(t, `${host} -> ${address}`).toBeLessThanOrEqual(readAt);
        }
        // Reachable only after it was alive in gossip: its probes are planned from the membership.
        expect(dataSince, `${host} -> ${address}`).toBeGreaterThanOrEqual(gossipSince);
      }
    }
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await sinces()).toEqual(first);
  });

  it('carries container traffic across hosts both ways, and h3 reaches both', async () => {
    await xnetJson(['--lab', 'h2', 'attach', '172.25.11.112/24', 'c2']);
    await xnetJson(['--lab', 'h3', 'attach', '172.25.11.200/24', 'c3']);
    expect(ping('h1', 'c1', '172.25.11.112')).toBe(true);
    expect(ping('h2', 'c2', '172.25.11.23')).toBe(true);
    expect(ping('h3', 'c3', '172.25.11.23')).toBe(true);
    expect(ping('h3', 'c3', '172.25.11.112')).toBe(true);
    // Full-size frames cross too: 1450 - 28 bytes of IPv4+ICMP headers, don't fragment.
    expect(
      labSh('h1', ['docker', 'exec', 'c1', 'ping', '-c', '1', '-W', '2', '-s', '1422', '172.25.11.112']),
    ).toMatch(/1 packets received/);
  });

  it('refuses an address another peer already uses, naming the peer and container', async () => {
    const before = nsh(h3, ['ip', '-o', 'link', 'show']);
    const r = await xnet(['--lab', 'h3', 'attach', '172.25.11.23/24', 'dup']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /172\.25\.11\.23 is already used in the mesh by container c1 on peer one \(198\.18\.0\.1\)/,
    );
    expect(nsh(h3, ['ip', '-o', 'link', 'show'])).toBe(before);
  });

  it('shows a peer that gossips but cannot carry VXLAN as exactly that', async () => {
    nsh(h2, ['iptables', '-I', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    try {
      const down = await eventually(
        'h2 unreachable',
        () => peer('h1', '198.18.0.2'),
        (p) => p?.dataPlane.state === 'unreachable',
        8_000,
      );
      expect(down.value!.gossip).toBe('alive');
      expect(down.value!.dataPlane.detail).toMatch(/UDP 4789/);
    } finally {
      nsh(h2, ['iptables', '-D', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    }
    await eventually('h2 reachable again', () => peer('h1', '198.18.0.2'), alive, 8_000);
  });

  it('catches an underlay MTU too small for full-size overlay frames', async () => {
    nsh(h2, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    try {
      const small = await eventually(
        'mtu flagged',
        () => peer('h1', '198.18.0.2'),
        (p) => p?.dataPlane.state === 'mtu-too-small',
        8_000,
      );
      expect(small.value!.dataPlane.detail).toMatch(/1450-byte packets do not cross/);
    } finally {
      nsh(h2, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
    }
    await eventually('h2 reachable again', () => peer('h1', '198.18.0.2'), alive, 8_000);
  });

  it('sees a killed host fail within 10 s and recover with no command typed', async () => {
    // A host that dies whole: its agent's supervisor, the agent and serf (which outlives an agent on purpose).
    const supervisorPid = Number(readFileSync(h3.supervisorPidfile, 'utf8'));
    const agentPid = Number(readFileSync(h3.agentPidfile, 'utf8'));
    const serfPid = (JSON.parse(readFileSync(join(h3.agentStateDir, 'serf.pid'), 'utf8')) as { pid: number })
      .pid;
    process.kill(supervisorPid, 'SIGKILL');
    process.kill(agentPid, 'SIGKILL');
    process.kill(serfPid, 'SIGKILL');
    const failed = await eventually(
      'h3 failed',
      () => peer('h1', '198.18.0.3'),
      (p) => p?.gossip === 'failed',
      10_000,
    );
    expect(failed.ms).toBeLessThan(10_000);
    // Starting the agent again (lab up restarts what is missing) relaunches the router from its state file.
    expect((await xnet(['lab', 'up', '--hosts', '3'])).code).toBe(0);
    await eventually('h3 back', () => peer('h1', '198.18.0.3'), alive, 15_000);
    expect(ping('h3', 'c3', '172.25.11.23')).toBe(true);
  });

  it('keeps a host with the wrong password out, and says why', async () => {
    expect((await xnet(['--lab', 'h3', 'reset'])).code).toBe(0);
    const pw = join(h3.agentStateDir, 'password-test');
    writeFileSync(pw, 'not-the-mesh-password\n', { mode: 0o600 });
    const r = await xnet(['--lab', 'h3', 'launch', '--password-file', pw, '198.18.0.2', '--json']);
    expect(r.code).toBe(1);
    const launched = JSON.parse(r.stdout) as { router: RouterStatus };
    expect(launched.router.encrypted).toBe(true);
    expect(launched.router.connections[0]).toMatchObject({ target: '198.18.0.2', state: 'failed' });
    expect(launched.router.connections[0]!.error).toMatch(/different mesh password, or none/);
    const conn = await xnet(['--lab', 'h3', 'status', 'connections']);
    expect(conn.stdout).toMatch(/198\.18\.0\.2\s+failed\s+.*not encrypted/);
    // The key never appears on a command line.
    expect(sh('ps', ['-eo', 'args'])).not.toContain('not-the-mesh-password');
    const p = await peer('h1', '198.18.0.3');
    expect(p?.gossip).not.toBe('alive');
  });

  it('stop takes the router down and keeps attachments; reset removes what launch made', async () => {
    const s = await xnetJson<{ wasRunning: boolean }>(['--lab', 'h2', 'stop']);
    expect(s.wasRunning).toBe(true);
    expect(nsh(h2, ['ip', '-o', 'link', 'show'])).not.toMatch(/xnet-vx/);
    expect(osh(h2, ['ip', '-o', 'link', 'show'])).not.toMatch(/xnet-vx/);
    const ps = await xnetJson<{ attachments: Array<{ container: string; live: string[] }> }>([
      '--lab',
      'h2',
      'ps',
    ]);
    expect(ps.attachments).toMatchObject([{ container: 'c2', live: ['172.25.11.112/24'] }]);
    expect((await router('h2')).state).toBe('stopped');
    // CI once saw h1 take h2 as failed, not left (2026-12-01): the serf logs say why, should it happen again.
    await withLogs(
      [h1, h2].flatMap((h) => [join(h.agentStateDir, 'serf.log'), h.agentLog]),
      () =>
        eventually(
          'h1 sees h2 leave',
          () => peer('h1', '198.18.0.2'),
          (p) => p?.gossip === 'left',
          10_000,
        ),
    );
    expect((await xnetJson<{ wasLaunched: boolean }>(['--lab', 'h2', 'reset'])).wasLaunched).toBe(true);
    expect((await router('h2')).state).toBe('not-launched');
    expect(readFileSync(join(h2.agentStateDir, 'state.json'), 'utf8')).not.toContain('"router"');
    // Reset removed the overlay namespace; the attachment stays, plugged into a fresh one.
    await eventually(
      'c2 plugged in again',
      () => xnetJson<{ attachments: Array<{ container: string; live: string[] }> }>(['--lab', 'h2', 'ps']),
      (x) => x.attachments[0]?.live?.[0] === '172.25.11.112/24',
      5_000,
    );
    expect(osh(h2, ['ip', '-o', 'link', 'show'])).not.toMatch(/xnet-vx/);
    await xnetJson(['--lab', 'h2', 'detach', 'c2']);
    await xnetJson(['--lab', 'h2', 'reset']);
    expect(existsSync(overlayOf(h2))).toBe(false);
    expect(nsh(h2, ['ip', '-o', 'link', 'show'])).not.toMatch(/: xnet/);
  });
});
