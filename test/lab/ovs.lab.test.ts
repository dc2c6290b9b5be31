import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDockerdFiles } from '../../src/lab/dockerd.js';
import { labHost, type LabHost } from '../../src/lab/layout.js';
import { pidsMentioning, readPid } from '../../src/lab/process.js';
import type { RatesNow, Result } from '../../src/api/index.js';
import { ovsOf, type PeerStatus, type RouterStatus } from '../../src/router/driver.js';
import type { OvsStatus } from '../../src/api/ovs-status.js';
import { nsh, onTheWire, router } from '../helpers/lab.js';
import { labSh, xnet, xnetJson } from '../helpers/cli.js';
import { agentFpings, autoChecks } from '../helpers/probes.js';

// Two real lab hosts, each with its own dockerd, agent, and its own ovsdb-server + ovs-vswitchd (userspace
// datapath here: this machine has no OVS kernel module and no kernel GRE).
const h1 = labHost(1);
const h2 = labHost(2);

async function eventually<T>(
  what: string,
  get: () => Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
): Promise<T> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < ms) {
    last = await get();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${ms} ms; last seen ${JSON.stringify(last)}`);
}
const bfdUp = (r: RouterStatus): boolean => ovsOf(r)?.ports.length === 1 && ovsOf(r)!.ports[0]!.bfd === 'up';
function ping(host: string, from: string, to: string): boolean {
  try {
    labSh(host, ['docker', 'exec', from, 'ping', '-c', '3', '-W', '2', to]);
    return true;
  } catch {
    return false;
  }
}
function containerIp(host: string, name: string): string {
  return labSh(host, [
    'docker',
    'inspect',
    '-f',
    '{{.NetworkSettings.Networks.bridge.IPAddress}}',
    name,
  ]).trim();
}

/** Everything of a host that launch may change and reset must put back. */
function snapshot(h: LabHost): Record<string, string> {
  const state = join(h.agentStateDir, 'state.json');
  return {
    links: nsh(h, ['ip', '-o', 'link', 'show']).replace(/ state \S+/g, ''),
    addrs: nsh(h, ['ip', '-o', '-4', 'addr', 'show']),
    routes: nsh(h, ['ip', 'route', 'show']),
    daemonJson: JSON.stringify(JSON.parse(readFileSync(labDockerdFiles(h).config, 'utf8'))),
    router: existsSync(state) ? String(JSON.parse(readFileSync(state, 'utf8')).router) : 'undefined',
    offload: nsh(h, ['ethtool', '-k', 'eth0'])
      .split('\n')
      .find((l) => l.startsWith('tx-checksumming'))!,
    daemons: ovsDaemons(h).join(','),
    arpIgnore: nsh(h, ['sysctl', '-n', 'net.ipv4.conf.eth0.arp_ignore']),
  };
}

/**
 * The host's private OVS daemons (ovsdb-server, ovs-vswitchd): the processes that name its OVS state directory,
 * but not an `ovs-vsctl` or `ovs-ofctl` of the driver's that happens to be running at that moment.
 */
function ovsDaemons(h: LabHost): number[] {
  return pidsMentioning(join(h.agentStateDir, 'ovs')).filter((pid) => {
    try {
      return /^ovs(db-server|-vswitchd)$/.test(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      return false;
    }
  });
}

describe('the ovs-gre mesh on two lab hosts', () => {
  let before1: Record<string, string>;
  let before2: Record<string, string>;

  beforeAll(async () => {
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    before1 = snapshot(h1);
    before2 = snapshot(h2);
  });

  afterAll(async () => {
    await xnet(['--lab', 'h2', 'reset']);
    await xnet(['--lab', 'h1', 'reset']);
    await xnet(['lab', 'down']);
  });

  it('refuses a missing or malformed subnet, changing nothing', async () => {
    for (const args of [[], ['--subnet', '172.25.1.5/24'], ['--subnet', '172.25.1.0/33']]) {
      const r = await xnet(['--lab', 'h1', 'launch', '--driver', 'ovs-gre', ...args, '--json']);
      expect(r.code, r.stdout).toBe(2);
      expect(JSON.parse(r.stdout).error.field).toBe('subnet');
    }
    expect(snapshot(h1)).toEqual(before1);
  });

  it('launches h1: an OVS bridge plugged into docker0, which dockerd gives 172.25.1.0/24', async () => {
    const l = await xnetJson<{ router: RouterStatus }>([
      '--lab',
      'h1',
      'launch',
      '--driver',
      'ovs-gre',
      '--nickname',
      'one',
      '--subnet',
      '172.25.1.0/24',
    ]);
    const datapath = existsSync('/sys/module/openvswitch') ? 'system' : 'netdev';
    expect(l.router).toMatchObject({ driver: 'ovs-gre', state: 'running', range: '172.25.1.0/24' });
    expect(ovsOf(l.router)).toMatchObject({
      datapath,
      daemons: 'private',
      bridge: { name: 'xnet-ovs', present: true, mtu: 1462 },
      dockerBridge: { name: 'docker0', plugged: true, address: '172.25.1.1/24' },
      subnet: '172.25.1.0/24',
      ports: [],
    } satisfies Partial<OvsStatus>);
    // Through the dockerd options: docker0's address and the containers' MTU (underlay 1500 - 38 for GRE).
    expect(JSON.parse(readFileSync(labDockerdFiles(h1).config, 'utf8'))).toMatchObject({
      bip: '172.25.1.1/24',
      mtu: 1462,
    });
    expect(ovsDaemons(h1)).toHaveLength(2);
    if (datapath === 'netdev') {
      // Userspace tunnels leave through the OVS bridge that holds the underlay address.
      expect(nsh(h1, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'ovs-underlay'])).toContain('198.18.0.1/24');
      expect(ovsOf(l.router)!.tunnelRoutes.join('\n')).toMatch(
        /198\.18\.0\.0\/24 dev ovs-underlay SRC 198\.18\.0\.1/,
      );
    }
  });

  it('refuses a subnet h1 holds, naming h1, and changes nothing on h2', async () => {
    const r = await xnet([
      '--lab',
      'h2',
      'launch',
      '--driver',
      'ovs-gre',
      '--subnet',
      '172.25.1.128/25',
      '198.18.0.1',
      '--json',
    ]);
    expect(r.code, r.stdout).toBe(2);
    const error = JSON.parse(r.stdout).error as { field: string; message: string };
    expect(error.field).toBe('subnet');
    expect(error.message).toBe(
      '172.25.1.128/25 overlaps 172.25.1.0/24, the container subnet of one (198.18.0.1)',
    );
    expect(snapshot(h2)).toEqual(before2);
  });

  it('launches h2 with 172.25.2.0/24 joined to h1: each has a GRE port with BFD up and a route to the other', async () => {
    const launchAt = Date.now();
    await xnetJson([
      '--lab',
      'h2',
      'launch',
      '--driver',
      'ovs-gre',
      '--nickname',
      'two',
      '--subnet',
      '172.25.2.0/24',
      '198.18.0.1',
    ]);
    const r1 = await eventually('h1 sees BFD up to h2', () => router('h1'), bfdUp, 15_000);
    expect(ovsOf(r1)!.ports[0]).toMatchObject({
      name: 'gre-c6120002',
      remote: '198.18.0.2',
      peer: 'two (198.18.0.2)',
      subnet: '172.25.2.0/24',
      linkState: 'up',
      error: null,
    });
    expect(ovsOf(r1)!.routes).toEqual([
      { dst: '172.25.2.0/24', via: '172.25.2.1', dev: 'docker0', peer: 'two (198.18.0.2)' },
    ]);
    expect(r1.connections).toEqual([
      expect.objectContaining({ target: '198.18.0.2', state: 'established', transport: 'gre' }),
    ]);
    const r2 = await eventually('h2 sees BFD up to h1', () => router('h2'), bfdUp, 15_000);
    expect(ovsOf(r2)!.routes.map((x) => [x.dst, x.via])).toEqual([['172.25.1.0/24', '172.25.1.1']]);
    // ovs-gre keeps the gossip clock (from its membership reads), not the BFD one: h2 alive on h1 since the join.
    const seen = r1.peers.find((p) => p.address === '198.18.0.2')!;
    expect(seen.gossipSince).toBeGreaterThanOrEqual(launchAt);
    expect(seen.gossipSince).toBeLessThanOrEqual(Date.now());
    expect(seen.dataPlane.since).toBeUndefined();
    expect((await router('h1')).peers.find((p) => p.address === '198.18.0.2')!.gossipSince).toBe(
      seen.gossipSince,
    );
    const human = await xnet(['--lab', 'h1', 'status']);
    expect(human.stdout).toMatch(
      /bridge xnet-ovs present \(mtu 1462\), \w+ datapath, private daemons; xnet-ovs plugged into docker0 172\.25\.1\.1\/24/,
    );
    expect(human.stdout).toMatch(/PORT\s+REMOTE\s+PEER\s+SUBNET\s+LINK\s+BFD\s+RX PKTS\s+TX PKTS/);
    expect(human.stdout).toMatch(
      /gre-c6120002\s+198\.18\.0\.2\s+two \(198\.18\.0\.2\)\s+172\.25\.2\.0\/24\s+up\s+up\s+\d+\s+\d+/,
    );
    expect(human.stdout).toMatch(/172\.25\.2\.0\/24\s+172\.25\.2\.1\s+docker0\s+two \(198\.18\.0\.2\)/);
  });

  it('carries container pings between 172.25.1.0/24 and 172.25.2.0/24 over GRE', async () => {
    // After launch: the dockerd restart that gave docker0 its subnet would have stopped them.
    labSh('h1', ['docker', 'run', '-d', '--name', 'c1', 'xnet/busybox', 'sleep', '3600']);
    labSh('h2', ['docker', 'run', '-d', '--name', 'c2', 'xnet/busybox', 'sleep', '3600']);
    const ip1 = containerIp('h1', 'c1');
    const ip2 = containerIp('h2', 'c2');
    expect(ip1).toMatch(/^172\.25\.1\.\d+$/);
    expect(ip2).toMatch(/^172\.25\.2\.\d+$/);
    const counters = async () => ovsOf(await router('h1'))!.ports[0]!;
    const c0 = await counters();
    let ok1 = false;
    const wire = await onTheWire(h1, 'ip proto 47', () => {
      ok1 = ping('h1', 'c1', ip2);
    });
    expect(ok1).toBe(true);
    // On the underlay the pings are inside GRE, between the hosts' addresses.
    const esc = (s: string) => s.replace(/\./g, '\\.');
    expect(wire).toMatch(
      new RegExp(
        `198\\.18\\.0\\.1 > 198\\.18\\.0\\.2: GREv0.*IP ${esc(ip1)} > ${esc(ip2)}: ICMP echo request`,
      ),
    );
    expect(wire).toMatch(
      new RegExp(`198\\.18\\.0\\.2 > 198\\.18\\.0\\.1: GREv0.*IP ${esc(ip2)} > ${esc(ip1)}: ICMP echo reply`),
    );
    // Status counters come from ovs-vsctl's statistics column, which ovs-vswitchd refreshes every 5 s; they
    // include BFD's one packet a second, so this checks that status follows the port, the capture is the proof.
    await eventually(
      'the GRE port counters in status rise',
      counters,
      (c) => c.txPackets - c0.txPackets >= 3 && c.rxPackets - c0.rxPackets >= 3,
      15_000,
    );
    expect(ping('h2', 'c2', ip1)).toBe(true);
  });

  it("gives each peer one automatic check from docker0 to the peer's docker bridge, across its GRE port", async () => {
    const checks = await autoChecks('h1', (c) => c.some((x) => x.peer === h2.address && x.state === 'up'));
    expect(checks).toEqual([
      expect.objectContaining({
        label: `host -> peer two (${h2.address})`,
        target: '172.25.2.1',
        peer: h2.address,
        state: 'up',
        // The GRE overlay's MTU: 1500 - 38.
        fullSize: expect.objectContaining({ packetBytes: 1462, state: 'up' }),
      }),
    ]);
    expect(agentFpings(h1)).toEqual([
      expect.stringMatching(/^fping -l .*-I docker0 -b 1434 -M 172\.25\.2\.1$/),
      expect.stringMatching(/^fping -l .*-I docker0 172\.25\.2\.1$/),
    ]);
    const peer = (await xnetJson<{ peers: PeerStatus[] }>(['--lab', 'h1', 'status', 'peers'])).peers.find(
      (p) => p.address === h2.address,
    );
    expect(peer?.probeAddress).toBe('172.25.2.1');
  });

  it('rates each peer from its GRE port counters, second by second', async () => {
    const ip2 = containerIp('h2', 'c2');
    const start = Math.floor(Date.now() / 1000) * 1000;
    labSh('h1', ['docker', 'exec', 'c1', 'ping', '-q', '-c', '50', '-i', '0.05', ip2]);
    await new Promise((r) => setTimeout(r, 2_500)); // the tick that closes the last second
    const r = await xnetJson<Result<'rates'>>(['--lab', 'h1', 'status', 'rates', '--series']);
    const peer = r.peers.find((p) => p.address === '198.18.0.2')!;
    expect(peer.source).toBe('counters');
    const window = peer.series.filter((s) => s.t >= start);
    const sum = (k: 'rx' | 'tx') => window.reduce((n, s) => n + s[k].packets, 0);
    // 50 echo requests out and 50 replies back; besides them BFD (about one a second each way), ARP, and both
    // hosts' automatic checks, which cross the same GRE port: each host sends the other a small and a full-size
    // echo every 500 ms, so 4 requests and 4 replies go each way a second, half of them 1476-byte frames.
    const seconds = window.length + 1;
    const probes = { packets: 8 * seconds, bytes: (4 * 98 + 4 * 1476) * seconds };
    const slack = 3 * window.length + 6;
    expect(window.length).toBeGreaterThanOrEqual(2);
    expect(sum('tx')).toBeGreaterThanOrEqual(50);
    expect(sum('tx')).toBeLessThanOrEqual(50 + probes.packets + slack);
    expect(sum('rx')).toBeGreaterThanOrEqual(50);
    expect(sum('rx')).toBeLessThanOrEqual(50 + probes.packets + slack);
    // Bytes are the inner frames: 98 bytes each way per ping (84 of IP, 14 of Ethernet), BFD frames 66.
    const bytes = (k: 'rx' | 'tx') => window.reduce((n, s) => n + s[k].bytes, 0);
    for (const k of ['rx', 'tx'] as const) {
      expect(bytes(k)).toBeGreaterThanOrEqual(50 * 98);
      expect(bytes(k)).toBeLessThanOrEqual(50 * 98 + probes.bytes + slack * 70);
    }
    // Spread over the seconds the pings ran (20 a second, 8 of the probes), not lumped as the 5-second statistics column is.
    // (lumped, one second would hold all 50 and more)
    expect(Math.max(...window.map((s) => s.tx.packets))).toBeLessThanOrEqual(40);
    const text = await xnet(['--lab', 'h1', 'status', 'rates']);
    expect(text.stdout).toMatch(/peer .*\(198\.18\.0\.2\).*no split \(GRE port counters\)/);
    // Without --series, --json is each row's last second: what a script reads, no minute of samples.
    const now = await xnetJson<RatesNow>(['--lab', 'h1', 'status', 'rates']);
    const row = now.peers.find((p) => p.address === '198.18.0.2')!;
    expect(row).toMatchObject({ source: 'counters', last: { rx: { packets: expect.any(Number) } } });
    expect(row).not.toHaveProperty('series');
    expect(row.last!.t).toBeGreaterThanOrEqual(window.at(-1)!.t);
  });

  it("keeps carrying after h1's agent is killed and `lab up` starts it again", async () => {
    const ip2 = containerIp('h2', 'c2');
    process.kill(readPid(h1.agentPidfile)!, 'SIGKILL');
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    // The underlay address stays on the OVS bridge: neither lab up nor the relaunch puts it back on eth0.
    expect(nsh(h1, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).toBe('');
    await eventually('h1 relaunched with BFD up', () => router('h1'), bfdUp, 20_000);
    await eventually('h2 sees BFD up', () => router('h2'), bfdUp, 20_000);
    expect(ping('h1', 'c1', ip2)).toBe(true);
  });

  it('forget removes the GRE port and the route, also after an agent restart; connect brings them back', async () => {
    const ip2 = containerIp('h2', 'c2');
    const f = await xnetJson<{ forgotten: string[] }>(['--lab', 'h1', 'forget', '198.18.0.2']);
    expect(f.forgotten).toEqual(['198.18.0.2']);
    const gone = await router('h1');
    expect(ovsOf(gone)!.ports).toEqual([]);
    expect(ovsOf(gone)!.routes).toEqual([]);
    expect(nsh(h1, ['ip', 'route', 'show', 'proto', '121'])).toBe('');
    expect(ping('h1', 'c1', ip2)).toBe(false);
    // Forgetting outlives the agent: relaunched from its state while h2 still gossips, h1 makes no tunnel.
    process.kill(readPid(h1.agentPidfile)!, 'SIGKILL');
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    const back = await eventually(
      'h1 relaunched and hearing h2',
      () => router('h1'),
      (r) => r.state === 'running' && r.peers.some((p) => p.address === '198.18.0.2' && p.gossip === 'alive'),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 2_000)); // a membership sync would have made the port by now
    expect(ovsOf(await router('h1'))!.ports).toEqual([]);
    expect(ovsOf(back)!.routes).toEqual([]);
    expect(ping('h1', 'c1', ip2)).toBe(false);
    await xnetJson(['--lab', 'h1', 'connect', '198.18.0.2']);
    try {
      await eventually('h1 tunnels to h2 again', () => router('h1'), bfdUp, 20_000);
    } catch (err) {
      // Say what the other end thought, which h1's status cannot.
      const r2 = await router('h2');
      throw new Error(
        `${(err as Error).message}\nh2 then: peers ${JSON.stringify(r2.peers)} ports ${JSON.stringify(ovsOf(r2)?.ports)}`,
      );
    }
    expect(ping('h1', 'c1', ip2)).toBe(true);
  });

  it('switching drivers needs a reset, and says so', async () => {
    const r = await xnet(['--lab', 'h1', 'launch', '--driver', 'vxlan', '--json']);
    expect(r.code).toBe(2);
    const error = JSON.parse(r.stdout).error as { field: string; message: string; hint: string };
    expect(error.field).toBe('driver');
    expect(error.message).toMatch(
      /^this host's router is ovs-gre \(running\); switching to vxlan needs a reset first/,
    );
    expect(error.hint).toMatch(/xnet-tui reset.*then `xnet-tui launch --driver vxlan`/);
  });

  it('reset leaves no OVS bridge, port, route, dockerd option or daemon behind', async () => {
    for (const [name, h, before] of [
      ['h2', h2, () => before2],
      ['h1', h1, () => before1],
    ] as const) {
      const r = await xnet(['--lab', name, 'reset']);
      expect(r.code, r.stderr).toBe(0);
      const after = snapshot(h);
      // docker0 keeps the address dockerd 20.10 stored for it (its own network store); everything else is back.
      const { addrs: a0 = '', routes: r0 = '', ...rest0 } = before();
      const { addrs: a1 = '', routes: r1 = '', ...rest1 } = after;
      expect(rest1).toEqual(rest0);
      expect(a1.split('\n').filter((l) => !l.includes('docker0'))).toEqual(
        a0.split('\n').filter((l) => !l.includes('docker0')),
      );
      expect(r1.split('\n').filter((l) => !l.includes('docker0'))).toEqual(
        r0.split('\n').filter((l) => !l.includes('docker0')),
      );
      expect(nsh(h, ['ip', 'route', 'show', 'proto', '121'])).toBe('');
      expect(existsSync(join(h.agentStateDir, 'ovs'))).toBe(false);
      expect(existsSync(join(h.agentStateDir, 'ovs-gre.json'))).toBe(false);
    }
    // The underlay is the NIC's again, with its own MAC: the hosts reach each other without OVS.
    expect(nsh(h1, ['ping', '-c', '1', '-W', '2', '198.18.0.2'])).toContain('1 received');
  });
});
