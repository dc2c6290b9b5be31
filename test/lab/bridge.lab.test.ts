import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDockerdFiles } from '../../src/lab/dockerd.js';
import { GATEWAY, GATEWAY_NETNS, labHost, type LabHost } from '../../src/lab/layout.js';
import { lanDetailsOf, type RouterStatus } from '../../src/router/driver.js';
import { CLI_MAIN } from '../../src/agent/client.js';
import { readPid } from '../../src/lab/process.js';
import { poll } from '../../src/poll.js';
import { dumpTo, nsh, onTheWire, ping, router } from '../helpers/lab.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { agentFpings, autoChecks } from '../helpers/probes.js';
import { readPcap } from '../helpers/pcapfile.js';
import type { RateSample, Result } from '../../src/api/index.js';
import { routeContains } from '../../src/net/cidr.js';

// The seed's first method on two real lab hosts: eth0 moves into br0, dockerd puts its containers on the LAN
// (198.18.0.0/24) from each host's slice. The lab's gateway namespace (198.18.0.254) is what the check pings.
const h1 = labHost(1);
const h2 = labHost(2);
const gwDown = (down: boolean): string =>
  sh('ip', ['-n', GATEWAY_NETNS, 'link', 'set', 'eth0', down ? 'down' : 'up']);

/** Everything launch changes and reset must put back: eth0 byte for byte, every route, the links, dockerd's options. */
function snapshot(h: LabHost): Record<string, string> {
  const state = join(h.agentStateDir, 'state.json');
  return {
    eth0: nsh(h, ['ip', '-j', '-d', 'addr', 'show', 'dev', 'eth0']),
    routes: nsh(h, ['ip', 'route', 'show', 'table', 'all']),
    links: nsh(h, ['ip', '-o', 'link', 'show'])
      .split('\n')
      .filter((l) => !/ veth/.test(l))
      .map((l) => l.replace(/ state \S+/, '').replace(/ link-netnsid \d+/, ''))
      .join('\n'),
    daemonJson: JSON.stringify(JSON.parse(readFileSync(labDockerdFiles(h).config, 'utf8'))),
    router: existsSync(state) ? String(JSON.parse(readFileSync(state, 'utf8')).router) : 'undefined',
  };
}

const work = mkdtempSync(join(tmpdir(), 'xnet-bridge-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rates = (host: string) => xnetJson<Result<'rates'>>(['--lab', host, 'status', 'rates', '--series']);

/** The IPv4 addresses of a frame: source and destination of IPv4, sender and target of ARP. */
function endsOf(f: Buffer): string[] {
  const ip = (at: number) => [...f.subarray(at, at + 4)].join('.');
  const type = f.readUInt16BE(12);
  if (type === 0x0800) return [ip(26), ip(30)];
  if (type === 0x0806) return [ip(28), ip(38)];
  return [];
}

const ipOf = (host: string, name: string): string =>
  labSh(host, ['docker', 'inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', name]).trim();

describe('the bridge driver on two lab hosts', () => {
  let before1: Record<string, string>;
  let before2: Record<string, string>;

  beforeAll(async () => {
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    // The baseline is the settled host: eth0's IPv6 link-local done with DAD (its local route comes then), or a
    // fast run compares against a host that had not finished coming up.
    for (const h of [h1, h2]) {
      const settled = await poll(
        () => {
          const a = JSON.parse(nsh(h, ['ip', '-j', 'addr', 'show', 'dev', 'eth0'])) as Array<{
            addr_info: Array<{ family: string; local: string; tentative?: boolean }>;
          }>;
          const ll = a[0]?.addr_info.filter((i) => i.family === 'inet6' && i.local.startsWith('fe80:'));
          return ll?.length && ll.every((i) => !i.tentative) ? true : undefined;
        },
        { everyMs: 100, withinMs: 10_000 },
      );
      expect(settled, `${h.name} eth0 link-local out of DAD`).toBe(true);
    }
    before1 = snapshot(h1);
    before2 = snapshot(h2);
    // The lab's hosts route through its gateway namespace.
    expect(before1.routes).toContain(`default via ${GATEWAY} dev eth0`);
  });

  afterAll(async () => {
    gwDown(false);
    await xnet(['--lab', 'h2', 'reset']);
    await xnet(['--lab', 'h1', 'reset']);
    await xnet(['lab', 'down']);
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses a slice off the LAN, or holding a LAN host, and a DHCP NIC, changing nothing', async () => {
    for (const [slice, says] of [
      ['10.1.0.0/24', 'is not a part of the LAN 198.18.0.0/24'],
      ['198.18.0.0/28', '198.18.0.0/28 holds 198.18.0.1'],
      ['198.18.0.240/28', 'holds 198.18.0.254'],
    ] as const) {
      const r = await xnet(['--lab', 'h1', 'launch', '--driver', 'bridge', '--slice', slice, '--json']);
      expect(r.code, r.stdout).toBe(2);
      const error = JSON.parse(r.stdout).error as { field: string; message: string };
      expect(error.field).toBe('slice');
      expect(error.message).toContain(says);
    }
    // An address with a lease lifetime is what a DHCP client leaves: ip shows it "dynamic".
    nsh(h1, ['ip', 'link', 'add', 'dhcp0', 'type', 'veth', 'peer', 'name', 'dhcp1']);
    nsh(h1, [
      'ip',
      'addr',
      'add',
      '10.99.0.1/24',
      'dev',
      'dhcp0',
      'valid_lft',
      '300',
      'preferred_lft',
      '300',
    ]);
    try {
      const r = await xnet([
        '--lab',
        'h1',
        'launch',
        '--driver',
        'bridge',
        '--nic',
        'dhcp0',
        '--check',
        '10.99.0.2',
        '--json',
      ]);
      expect(r.code, r.stdout).toBe(2);
      const error = JSON.parse(r.stdout).error as { field: string; message: string };
      expect(error.field).toBe('nic');
      expect(error.message).toContain('comes from DHCP');
    } finally {
      nsh(h1, ['ip', 'link', 'del', 'dhcp0']);
    }
    expect(snapshot(h1)).toEqual(before1);
  });

  it('puts a launch whose check fails back by itself: address, routes and dockerd options as before', async () => {
    gwDown(true);
    try {
      const t0 = Date.now();
      const r = await xnet([
        '--lab',
        'h1',
        'launch',
        '--driver',
        'bridge',
        '--confirm-timeout',
        '3',
        '--json',
      ]);
      expect(r.code, r.stdout).toBe(1);
      const error = JSON.parse(r.stdout).error as { code: string; message: string };
      expect(error.code).toBe('rolled_back');
      expect(error.message).toContain(`${GATEWAY} did not answer within 3 s`);
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      gwDown(false);
    }
    expect(snapshot(h1)).toEqual(before1);
  });

  it('launches h1: eth0 in br0 with its address and routes, dockerd on br0 with the slice', async () => {
    const l = await xnetJson<{ router: RouterStatus }>([
      '--lab',
      'h1',
      'launch',
      '--driver',
      'bridge',
      '--nickname',
      'one',
      '--slice',
      '198.18.0.16/28',
    ]);
    expect(l.router).toMatchObject({ driver: 'bridge', state: 'running', range: '198.18.0.16/28' });
    expect(lanDetailsOf(l.router)).toMatchObject({
      nic: 'eth0',
      bridge: 'br0',
      lan: '198.18.0.0/24',
      gateway: GATEWAY,
    });
    expect(nsh(h1, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'br0'])).toContain('198.18.0.1/24');
    expect(nsh(h1, ['ip', 'route', 'show', 'default'])).toContain(`default via ${GATEWAY} dev br0`);
    expect(nsh(h1, ['ip', '-o', 'link', 'show', 'dev', 'eth0'])).toContain('master br0');
    expect(JSON.parse(readFileSync(labDockerdFiles(h1).config, 'utf8'))).toMatchObject({
      bridge: 'br0',
      'fixed-cidr': '198.18.0.16/28',
    });
  });

  it("refuses on h2 a slice overlapping h1's with exit 2, naming h1, and changes nothing on h2", async () => {
    const r = await xnet([
      '--lab',
      'h2',
      'launch',
      '--driver',
      'bridge',
      '--slice',
      '198.18.0.24/29',
      '198.18.0.1',
      '--json',
    ]);
    expect(r.code, r.stdout).toBe(2);
    const error = JSON.parse(r.stdout).error as { field: string; message: string };
    expect(error.field).toBe('slice');
    expect(error.message).toBe(
      '198.18.0.24/29 overlaps 198.18.0.16/28, the docker slice of one (198.18.0.1)',
    );
    expect(snapshot(h2)).toEqual(before2);
  });

  it('launches h2 with a proposed slice clear of h1 and the LAN hosts', async () => {
    const l = await xnetJson<{ router: RouterStatus }>([
      '--lab',
      'h2',
      'launch',
      '--driver',
      'bridge',
      '--nickname',
      'two',
      '198.18.0.1',
    ]);
    expect(l.router.range).toBe('198.18.0.32/28');
    // h1 learns h2's slice from h2's Serf tags: gossip, so within a few seconds rather than at once.
    const slicesOnH1 = async (): Promise<string[]> =>
      lanDetailsOf(await router('h1'))!
        .slices.map((s) => s.slice)
        .sort();
    const both = ['198.18.0.16/28', '198.18.0.32/28'];
    await poll(async () => ((await slicesOnH1()).length === 2 ? true : undefined), {
      everyMs: 250,
      withinMs: 10_000,
    });
    expect(await slicesOnH1()).toEqual(both);
  });

  it('gives plain `docker run` containers addresses from their slices: they reach each other and the LAN, unencapsulated', async () => {
    for (const h of ['h1', 'h2'])
      labSh(h, ['docker', 'run', '-d', '--name', `c-${h}`, 'xnet/busybox:latest', 'sleep', '3600']);
    const a1 = ipOf('h1', 'c-h1');
    const a2 = ipOf('h2', 'c-h2');
    expect(a1).toMatch(/^198\.18\.0\.(1[6-9]|2\d|3[01])$/);
    expect(a2).toMatch(/^198\.18\.0\.(3[2-9]|4[0-7])$/);
    const wire = await onTheWire(h1, 'icmp or udp port 4789 or ip proto 47', () => {
      expect(ping('h1', 'c-h1', a2)).toBe(true);
      expect(ping('h1', 'c-h1', GATEWAY)).toBe(true);
      expect(ping('h2', 'c-h2', GATEWAY)).toBe(true);
    });
    // The containers' own addresses on the LAN cable: no tunnel header around them.
    expect(wire).toContain(`IP ${a1} > ${a2}: ICMP echo request`);
    expect(wire).toContain(`IP ${a2} > ${a1}: ICMP echo reply`);
    expect(wire).toContain(`IP ${a1} > ${GATEWAY}: ICMP echo request`);
    expect(wire).not.toMatch(/VXLAN|GREv0|\.4789/);
  });

  it('counts plain `docker run` containers and each peer by LAN address, within 0.5 % of tcpdump, the gateway apart', async () => {
    const a2 = ipOf('h2', 'c-h2');
    // dockerd's own veth for c-h1: the container's eth0 names its host end by ifindex.
    const ifindex = Number(
      labSh('h1', ['docker', 'exec', 'c-h1', 'cat', '/sys/class/net/eth0/iflink']).trim(),
    );
    const port = (
      JSON.parse(nsh(h1, ['ip', '-j', 'link', 'show'])) as { ifindex: number; ifname: string }[]
    ).find((l) => l.ifindex === ifindex)!.ifname;
    const counting = await poll(
      async () => {
        const r = await rates('h1');
        return r.counters.state === 'running' &&
          r.counters.hooks.some((h) => h.name === port) &&
          r.peers.some((p) => p.address === h2.address && p.source === 'ebpf') &&
          r.containers.some((c) => c.container === 'c-h1')
          ? r
          : undefined;
      },
      { everyMs: 250, withinMs: 15_000 },
    );
    expect(counting, `h1 counts ${port} (c-h1's port) and peer two`).toBeDefined();
    expect(counting!.source).toBe('ebpf');
    // The NIC is the LAN's port, not a container's: the host's own traffic (gossip, probes) is not counted.
    expect(counting!.counters.hooks.map((h) => h.name)).not.toContain('eth0');

    const file = join(work, 'port.pcap');
    const dump = await dumpTo(h1, port, file);
    await sleep(1_500);
    const start = Date.now();
    const pid = labSh('h1', ['docker', 'inspect', '-f', '{{.State.Pid}}', 'c-h1']).trim();
    const pings = (to: string) =>
      sh('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ping', '-q', '-c', '500', '-i', '0.01', to]);
    // One after the other: each a known count at 10 ms.
    const toPeer = pings(a2);
    const toGateway = pings(GATEWAY);
    const end = Date.now();
    await sleep(1_500);
    const dropped = await dump.stop();
    await sleep(1_200);
    const r = await rates('h1');

    // Every second from a quiet one before the pings to a quiet one after: both sides cover the same frames.
    const from = Math.floor(start / 1000) * 1000 - 1000;
    const to = Math.floor(end / 1000) * 1000 + 1000;
    const sum = (series: RateSample[]) =>
      series.filter((s) => s.t >= from && s.t <= to).reduce((n, s) => n + s.rx.packets + s.tx.packets, 0);
    const slice2 = lanDetailsOf(await router('h1'))!.slices.find((s) => s.host.includes(h2.address))!.slice;
    const witness = { container: 0, peer: 0, gateway: 0 };
    for (const f of readPcap(file)) {
      if (f.second * 1000 < from || f.second * 1000 > to) continue;
      witness.container++;
      const ends = endsOf(f.data);
      if (ends.some((a) => a === h2.address || routeContains(slice2, a))) witness.peer++;
      if (ends.includes(GATEWAY)) witness.gateway++;
    }
    const agent = {
      container: sum(r.containers.find((c) => c.container === 'c-h1')!.series),
      peer: sum(r.peers.find((p) => p.address === h2.address)!.series),
      gateway: sum(r.others!.find((o) => o.kind === 'gateway')!.series),
    };
    const report = JSON.stringify({ port, slice2, dropped, witness, agent, toPeer, toGateway });
    console.log(`bridge rates: ${report}`); // the figures, for the record
    expect(dropped, report).toBe(0);
    // 500 pings each way to each: 1,000 ICMP frames with the peer and 1,000 with the gateway, at least.
    expect(witness.peer, report).toBeGreaterThanOrEqual(1_000);
    expect(witness.gateway, report).toBeGreaterThanOrEqual(1_000);
    for (const k of ['container', 'peer', 'gateway'] as const)
      expect(Math.abs(agent[k] - witness[k]) / witness[k], `${k}: ${report}`).toBeLessThan(0.005);
    // The gateway's frames are its own row, not the peer's.
    expect(agent.peer, report).toBeLessThan(witness.peer + witness.gateway / 2);
    const human = await xnet(['--lab', 'h1', 'status', 'rates']);
    expect(human.stdout).toMatch(/^c-h1 /m);
    expect(human.stdout).toMatch(/^peer two \(198\.18\.0\.2\) /m);
    expect(human.stdout).toMatch(/^gateway 198\.18\.0\.254 and beyond /m);
  }, 120_000);

  it('shows h2 reachable across the LAN in the peers pane', async () => {
    const start = Date.now();
    let r = await router('h1');
    while (Date.now() - start < 15_000 && r.peers.find((p) => !p.self)?.dataPlane.state !== 'reachable') {
      await new Promise((res) => setTimeout(res, 500));
      r = await router('h1');
    }
    expect(r.peers.find((p) => !p.self)).toMatchObject({
      address: '198.18.0.2',
      gossip: 'alive',
      dataPlane: { state: 'reachable' },
    });
  });

  it("gives h2 one automatic check from br0, fed by the host's two probe loops: no fping of the driver's own", async () => {
    const checks = await autoChecks('h1', (c) => c.some((x) => x.peer === h2.address && x.state === 'up'));
    expect(checks).toEqual([
      expect.objectContaining({
        id: `a-host-${h2.address}`,
        label: `host -> peer two (${h2.address})`,
        target: h2.address,
        peer: h2.address,
        state: 'up',
        fullSize: expect.objectContaining({ packetBytes: 1500, state: 'up' }),
      }),
    ]);
    // Sampled for 3 s: the same two loops (small, and full-size with DF: 1500 - 28), never a `fping -C` one-shot.
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      for (const a of agentFpings(h1)) seen.add(a);
      await sleep(500);
    }
    expect([...seen].join('\n')).not.toMatch(/ -C /);
    expect([...seen].sort()).toEqual([
      expect.stringMatching(new RegExp(`^fping -l .*-I br0 -b 1472 -M ${h2.address.replace(/\./g, '\\.')}$`)),
      expect.stringMatching(new RegExp(`^fping -l .*-I br0 ${h2.address.replace(/\./g, '\\.')}$`)),
    ]);
    // The Peers pane reads the same loops.
    expect((await router('h1')).peers.find((p) => !p.self)?.dataPlane).toMatchObject({
      state: 'reachable',
      rttMs: expect.any(Number),
    });
  });

  it('attaches a chosen LAN address outside every slice, and refuses one inside a slice or used on the LAN', async () => {
    for (const [cidr, says] of [
      ['198.18.0.20/24', 'inside 198.18.0.16/28, the docker slice of one (198.18.0.1)'],
      [`${GATEWAY}/24`, 'used on the LAN by the default gateway'],
      ['198.18.0.2/24', 'used on the LAN by this host'],
      ['198.18.0.1/24', 'used on the LAN by the host one'],
    ] as const) {
      const r = await xnet(['--lab', 'h2', 'attach', cidr, 'c-h2', '--json']);
      expect(r.code, r.stdout).toBe(2);
      expect(JSON.parse(r.stdout).error.message).toContain(says);
    }
    const ok = await xnet(['--lab', 'h2', 'attach', '198.18.0.100/24', 'c-h2']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ping('h1', 'c-h1', '198.18.0.100')).toBe(true);
    expect((await xnet(['--lab', 'h2', 'detach', 'c-h2'])).code).toBe(0);
  });

  it('relaunches after an agent restart with the slice it proposed, without moving the NIC again', async () => {
    const pid = readPid(h2.agentPidfile)!;
    process.kill(pid, 'SIGTERM');
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    expect(readPid(h2.agentPidfile)).not.toBe(pid);
    const start = Date.now();
    let r = await router('h2');
    while (Date.now() - start < 20_000 && r.state !== 'running') {
      await new Promise((res) => setTimeout(res, 500));
      r = await router('h2');
    }
    expect(r).toMatchObject({ driver: 'bridge', state: 'running', range: '198.18.0.32/28' });
    expect(ping('h1', 'c-h1', ipOf('h2', 'c-h2'))).toBe(true);
  });

  it('after a reboot, puts the NIC back into br0 before dockerd starts (deploy/xnet-bridge.service)', async () => {
    // What a reboot leaves: eth0 with its configured address and route, no br0.
    nsh(h1, ['ip', 'link', 'del', 'br0']);
    nsh(h1, ['ip', 'addr', 'add', '198.18.0.1/24', 'dev', 'eth0']);
    nsh(h1, ['ip', 'route', 'add', 'default', 'via', GATEWAY, 'dev', 'eth0']);
    const boot = sh('nsenter', [
      `--net=${h1.netnsPath}`,
      '--',
      process.execPath,
      CLI_MAIN,
      'agent',
      '--state-dir',
      h1.agentStateDir,
      '--bridge-before-docker',
    ]);
    expect(boot.trim()).toBe('eth0 moved into br0');
    expect(nsh(h1, ['ip', '-o', '-4', 'addr', 'show', 'dev', 'br0'])).toContain('198.18.0.1/24');
    expect(nsh(h1, ['ip', 'route', 'show', 'default'])).toContain(`default via ${GATEWAY} dev br0`);
    // dockerd, started after it, finds its bridge and gives containers their slice again.
    expect((await xnet(['lab', 'restart-dockerd', 'h1'])).code).toBe(0);
    labSh('h1', ['docker', 'start', 'c-h1']);
    expect(ipOf('h1', 'c-h1')).toMatch(/^198\.18\.0\.(1[6-9]|2\d|3[01])$/);
    expect(ping('h1', 'c-h1', ipOf('h2', 'c-h2'))).toBe(true);
  });

  it('reset puts both hosts back byte for byte: eth0, routes, no br0, dockerd options', async () => {
    for (const h of ['h2', 'h1']) expect((await xnet(['--lab', h, 'reset'])).code).toBe(0);
    expect(snapshot(h1)).toEqual(before1);
    expect(snapshot(h2)).toEqual(before2);
  });

  it('resets an unconfirmed --confirm launch by itself, and keeps one the operator confirms', async () => {
    const unconfirmed = await xnet([
      '--lab',
      'h2',
      'launch',
      '--driver',
      'bridge',
      '--confirm',
      '--confirm-timeout',
      '4',
    ]);
    expect(unconfirmed.code, unconfirmed.stdout + unconfirmed.stderr).toBe(1);
    expect(unconfirmed.stderr).toContain('not confirmed in time');
    expect(snapshot(h2)).toEqual(before2);

    const waiting = xnet([
      '--lab',
      'h2',
      'launch',
      '--driver',
      'bridge',
      '--confirm',
      '--confirm-timeout',
      '30',
    ]);
    const start = Date.now();
    while (Date.now() - start < 20_000 && !(await router('h2')).confirm)
      await new Promise((r) => setTimeout(r, 250));
    expect((await router('h2')).confirm).toMatchObject({ state: 'waiting' });
    expect(await xnetJson(['--lab', 'h2', 'confirm'])).toEqual({ confirmed: true });
    const kept = await waiting;
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toContain('launch confirmed');
    expect((await router('h2')).state).toBe('running');
    expect((await xnet(['--lab', 'h2', 'reset'])).code).toBe(0);
    expect(snapshot(h2)).toEqual(before2);
  });
});
