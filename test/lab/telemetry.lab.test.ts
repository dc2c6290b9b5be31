import { spawn, spawnSync, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/api/index.js';
import { containerMac, hostVethName } from '../../src/net/veth.js';
import { localLines, writeLocal } from '../../src/telemetry/bpf/local-table.js';
import { PROTOCOLS, protocolAt } from '../../src/telemetry/frame.js';
import { hookLines, pinsFor } from '../../src/telemetry/bpf/kernel.js';
import { slotOfFlowid } from '../../src/telemetry/bpf/slots.js';
import { CLI_MAIN } from '../../src/agent/client.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { readPcap } from '../helpers/pcapfile.js';
import { dumpIn, overlayOf } from '../helpers/lab.js';
import { C1, C2, labPair } from '../helpers/mesh.js';
import { agentProcesses } from '../helpers/probes.js';
import { eventually } from '../helpers/wait.js';

// Two lab hosts in a mesh, a container on each; the agent's kernel counters held to tcpdump and the interface
// counters on the same interfaces.
const mesh = labPair();
const [h1, h2] = mesh.hosts;
const work = mkdtempSync(join(tmpdir(), 'xnet-telemetry-'));

const nsh = (netns: string, argv: string[]): string => sh('nsenter', [`--net=${netns}`, '--', ...argv]);
const pidOf = (host: string, name: string): number =>
  Number(labSh(host, ['docker', 'inspect', '-f', '{{.State.Pid}}', name]).trim());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Pings = Result<'pings'> & { pmtu: Result<'pmtu'> };
const pings = (host = 'h1') => xnetJson<Pings>(['--lab', host, 'status', 'pings']);
const rates = (host = 'h1') => xnetJson<Result<'rates'>>(['--lab', host, 'status', 'rates', '--series']);

/** Packet sockets open in a namespace (/proc/net/packet: one line each after the header). */
const packetSockets = (netns: string): string[] =>
  nsh(netns, ['cat', '/proc/net/packet']).trim().split('\n').slice(1);

/** A slot's packets in the veths' array (every CPU, both directions): all of them, and ICMP's. */
function slotCounts(slot: number): { all: number; icmp: number } {
  const key = [slot & 255, slot >> 8, 0, 0].map(String);
  const v = JSON.parse(sh('bpftool', ['-j', 'map', 'lookup', 'pinned', h1Pins().veths, 'key', ...key])) as {
    formatted: { values: { value: { c: { packets: number }[][] } }[] };
  };
  let all = 0;
  let icmp = 0;
  for (const cpu of v.formatted.values)
    for (const dir of cpu.value.c)
      dir.forEach((c, proto) => {
        all += c.packets;
        if (PROTOCOLS[proto] === 'icmp') icmp += c.packets;
      });
  return { all, icmp };
}

/** The programs' config (counters.bpf.c's xnet_config) as the kernel holds it on h1. */
const fastConfig = (): { tunnel_port: number; tunnel_ifindex: number; flags: number } =>
  (
    JSON.parse(
      sh('bpftool', ['-j', 'map', 'lookup', 'pinned', h1Pins().config, 'key', '0', '0', '0', '0']),
    ) as {
      formatted: {
        value: { '.bss': { xnet_config: { tunnel_port: number; tunnel_ifindex: number; flags: number } }[] };
      };
    }
  ).formatted.value['.bss'][0]!.xnet_config;

const hostVeth = (): string => hostVethName(labSh('h1', ['docker', 'inspect', '-f', '{{.Id}}', 'c1']).trim());
const h1Pins = () => pinsFor(h1.agentStateDir);

/** Interface counters by name, read over netlink in a namespace. */
function linkStats(netns: string, names: string[]) {
  const all = JSON.parse(nsh(netns, ['ip', '-json', '-s', 'link', 'show'])) as {
    ifname: string;
    stats64: { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } };
  }[];
  return new Map(
    names.map((n) => {
      const l = all.find((x) => x.ifname === n)!;
      const s = {
        rxPackets: l.stats64.rx.packets,
        rxBytes: l.stats64.rx.bytes,
        txPackets: l.stats64.tx.packets,
        txBytes: l.stats64.tx.bytes,
      };
      return [n, s];
    }),
  );
}

/**
 * What tcpdump wrote in the seconds from..to: packets and bytes, and packets by protocol of the frame at
 * `inner` (0: the frame itself; 50: the frame inside Ethernet+IPv4+UDP+VXLAN).
 */
function pcapCount(file: string, from: number, to: number, inner: number) {
  const all = { packets: 0, bytes: 0 };
  const protocols = Object.fromEntries(PROTOCOLS.map((p) => [p, 0])) as Record<
    (typeof PROTOCOLS)[number],
    number
  >;
  for (const r of readPcap(file)) {
    if (r.second * 1000 < from || r.second * 1000 > to) continue;
    all.packets++;
    all.bytes += r.len;
    protocols[PROTOCOLS[protocolAt(r.data, inner, r.caplen)]!]++;
  }
  return { all, protocols };
}

/** Runs a program to its end, or kills it after `ms`. */
function runFor(argv: string[], ms: number): Promise<string> {
  const start = Date.now();
  const child = spawn(argv[0]!, argv.slice(1), { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(`${argv[3]}: ${signal ?? `exit ${code}`} after ${Date.now() - start} ms`);
    }),
  );
}

describe('telemetry on two lab hosts', () => {
  beforeAll(() => mesh.up());

  afterAll(async () => {
    await mesh.down();
    rmSync(work, { recursive: true, force: true });
  });

  it('counts with eBPF on the container veth and the underlay, with no promiscuous bridge and no packet socket', async () => {
    const r = await eventually(
      'counters running',
      () => rates(),
      (x) => x.counters.state === 'running' && x.counters.hooks.length === 2,
      5_000,
    );
    expect(r.value.source).toBe('ebpf');
    const veth = hostVeth();
    expect(r.value.counters.hooks.map((h) => [h.name, h.role]).sort()).toEqual(
      [
        ['eth0', 'underlay'],
        [veth, 'container'],
      ].sort(),
    );
    // The veth's ingress also runs the fast path's way out; the VXLAN device's ingress its way in.
    for (const [dir, prog] of [
      ['ingress', 'fast_ingress'],
      ['egress', 'veth_egress'],
    ])
      expect(nsh(overlayOf(h1), ['tc', 'filter', 'show', 'dev', veth, dir!])).toMatch(
        new RegExp(`${prog}.* direct-action`),
      );
    await eventually(
      'fast path hooked on the tunnel',
      async () => nsh(overlayOf(h1), ['tc', 'filter', 'show', 'dev', 'xnet-vx', 'ingress']),
      (t) => /tunnel_ingress.* direct-action/.test(t),
      5_000,
    );
    expect(r.value.counters.hooks.find((h) => h.name === veth)?.what).toMatch(/fast path/);
    // Nothing captures: the bridge is not promiscuous and no process of ours holds a packet socket.
    expect(nsh(overlayOf(h1), ['ip', '-d', 'link', 'show', 'xnet'])).toMatch(/promiscuity 0 /);
    expect(packetSockets(h1.netnsPath)).toEqual([]);
    expect(packetSockets(overlayOf(h1))).toEqual([]);
    // No child process of the agent is a node process (the old capture child was one): fping and serf only.
    const agent = readFileSync(h1.agentPidfile, 'utf8').trim();
    const children = execFileSync('ps', ['-e', '-o', 'ppid=,comm='], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([ppid]) => ppid === agent);
    expect(children.filter(([, comm]) => comm === 'node')).toEqual([]);
  });

  it('counts a container and a peer exactly (0.5 % of tcpdump and the interface counters) during a known load', async () => {
    const p1 = pidOf('h1', 'c1');
    const p2 = pidOf('h2', 'c2');
    await eventually(
      'automatic check up',
      () => pings(),
      (x) => x.checks.some((c) => c.state === 'up'),
      10_000,
    );
    const servers = ['5201', '5202'].map((port) =>
      spawn('nsenter', [`--net=/proc/${p2}/ns/net`, '--', 'iperf3', '-s', '-1', '-p', port], {
        stdio: 'ignore',
      }),
    );
    await sleep(500);
    // c1's own interface, in its namespace: the fast path hands it the frames from the tunnel past the host-side
    // veth (bpf_redirect_peer), so tcpdump and the interface counters there see what the agent counts.
    const c1ns = `/proc/${p1}/ns/net`;
    const vethFile = join(work, 'veth.pcap');
    const underFile = join(work, 'underlay.pcap');
    const dumps = await Promise.all([
      dumpIn(c1ns, 'ethwe', vethFile),
      dumpIn(h1.netnsPath, 'eth0', underFile, `udp port 4789 and host ${h2.address}`),
    ]);
    await sleep(1_500);
    const before = new Map([
      ...linkStats(overlayOf(h1), ['xnet-vx', hostVeth()]),
      ...linkStats(c1ns, ['ethwe']),
    ]);
    const start = Date.now();
    const inC1 = ['nsenter', `--net=/proc/${p1}/ns/net`, '--'];
    // 5,000 pings at 1 ms, a 20 Mbit/s UDP stream and a 200 Mbit/s TCP stream, from c1 (h1) to c2 (h2), at once.
    const iperf = (port: string, extra: string[]) => [
      ...inC1,
      'iperf3',
      '-c',
      C2,
      '-p',
      port,
      '-t',
      '4',
      '--connect-timeout',
      '3000',
      ...extra,
    ];
    const ran = await Promise.all([
      runFor([...inC1, 'ping', '-q', '-c', '5000', '-i', '0.001', C2], 30_000),
      runFor(iperf('5201', ['-u', '-b', '20M', '-l', '1000']), 30_000),
      runFor(iperf('5202', ['-b', '200M']), 30_000),
    ]);
    const end = Date.now();
    await sleep(1_500);
    const after = new Map([
      ...linkStats(overlayOf(h1), ['xnet-vx', hostVeth()]),
      ...linkStats(c1ns, ['ethwe']),
    ]);
    const dumped = await Promise.all(dumps.map((d) => d.stop()));
    for (const s of servers) s.kill();
    await sleep(1_200);
    const r = await rates();

    // Every second from a quiet one before the load to a quiet one after it: tcpdump, the interface counters
    // (read in those quiet seconds) and the agent all cover the same packets.
    const from = Math.floor(start / 1000) * 1000 - 1000;
    const to = Math.floor(end / 1000) * 1000 + 1000;
    const inRange = (t: number) => t >= from && t <= to;
    const agentSum = (series: Result<'rates'>['bridge']) =>
      series
        .filter((s) => inRange(s.t))
        .reduce(
          (a, s) => ({
            packets: a.packets + s.rx.packets + s.tx.packets,
            bytes: a.bytes + s.rx.bytes + s.tx.bytes,
          }),
          { packets: 0, bytes: 0 },
        );
    const c1 = r.containers.find((c) => c.container === 'c1')!.series.filter((s) => inRange(s.t));
    const peer = r.peers.find((p) => p.address === h2.address)!;
    expect(peer.source).toBe('ebpf');
    const witnessC = pcapCount(vethFile, from, to, 0);
    const witnessP = pcapCount(underFile, from, to, 50);
    const agentC = agentSum(c1);
    const agentP = agentSum(peer.series);
    const d = (name: string, f: 'rxPackets' | 'txPackets' | 'rxBytes' | 'txBytes') =>
      after.get(name)![f] - before.get(name)![f];
    const countersC = {
      packets: d('ethwe', 'rxPackets') + d('ethwe', 'txPackets'),
      bytes: d('ethwe', 'rxBytes') + d('ethwe', 'txBytes'),
    };
    // The fast path took c2's frames past the host-side veth: it sent (tx) next to none of what c1 received.
    const fastIn = { ethweRx: d('ethwe', 'rxPackets'), vethTx: d(hostVeth(), 'txPackets') };
    // The VXLAN device counts the inner frames; on the underlay each is 50 bytes longer (outer headers).
    const vxPackets = d('xnet-vx', 'rxPackets') + d('xnet-vx', 'txPackets');
    const countersP = {
      packets: vxPackets,
      bytes: d('xnet-vx', 'rxBytes') + d('xnet-vx', 'txBytes') + 50 * vxPackets,
    };
    const report = JSON.stringify({
      ran,
      dumped,
      seconds: (to - from) / 1000 + 1,
      witnessC,
      agentC,
      countersC,
      witnessP,
      agentP,
      countersP,
      fastIn,
      agentProtocols: Object.fromEntries(
        PROTOCOLS.map((p) => [p, c1.reduce((n, s) => n + s.protocols[p].packets, 0)]),
      ),
    });
    console.log(`exactness: ${report}`); // the figures, for the record
    // 10,000 ICMP frames plus 10,000 UDP datagrams and the TCP stream at least, so 0.5 % is a real bound.
    expect(witnessC.all.packets, report).toBeGreaterThan(20_000);
    expect(fastIn.vethTx, report).toBeLessThan(fastIn.ethweRx / 100);
    for (const dropped of dumped) expect(dropped, report).toBe(0);
    const close = (a: number, b: number, what: string) =>
      expect(Math.abs(a - b) / Math.max(b, 1), `${what}: ${a} vs ${b}; ${report}`).toBeLessThan(0.005);
    for (const [name, agent, witness, counters] of [
      ['container', agentC, witnessC.all, countersC],
      ['peer', agentP, witnessP.all, countersP],
    ] as const) {
      for (const k of ['packets', 'bytes'] as const) {
        close(agent[k], witness[k], `${name} ${k} vs tcpdump`);
        close(agent[k], counters[k], `${name} ${k} vs interface counters`);
      }
    }
    // By protocol, as tcpdump's own frames say (the inner frame's, on the underlay).
    for (const [series, witness] of [
      [c1, witnessC],
      [peer.series.filter((s) => inRange(s.t)), witnessP],
    ] as const) {
      for (const p of PROTOCOLS) {
        const agent = series.reduce((n, s) => n + s.protocols[p].packets, 0);
        close(agent, witness.protocols[p], `${p} packets`);
      }
      expect(witness.protocols.icmp).toBeGreaterThanOrEqual(10_000);
      expect(witness.protocols.udp).toBeGreaterThan(9_000);
      expect(witness.protocols.tcp).toBeGreaterThan(1_000);
    }
    // A TCP stream at 200 Mbit/s leaves GSO packets: segments are counted beside packets, never fewer.
    const segs = c1.reduce((n, s) => n + (s.segments?.rx ?? 0) + (s.segments?.tx ?? 0), 0);
    expect(segs).toBeGreaterThanOrEqual(agentC.packets);
  }, 120_000);

  it('captures one container or one peer on demand into a pcap file tcpdump reads, never promiscuous', async () => {
    const p1 = pidOf('h1', 'c1');
    const pinger = spawn(
      'nsenter',
      [`--net=/proc/${p1}/ns/net`, '--', 'ping', '-q', '-c', '40', '-i', '0.1', C2],
      { stdio: 'ignore' },
    );
    try {
      const file = join(work, 'c1.pcap');
      // The capture opens c1's own interface in its namespace (the fast path hands it the replies past the
      // host-side veth); it must make neither that nor the bridge promiscuous.
      const c1ns = `/proc/${p1}/ns/net`;
      const promiscuity = (netns: string, dev: string) =>
        /promiscuity (\d+) /.exec(nsh(netns, ['ip', '-d', 'link', 'show', dev]))?.[1];
      const ethweBefore = promiscuity(c1ns, 'ethwe');
      const running = xnet([
        '--lab',
        'h1',
        'capture',
        'c1',
        '--filter',
        'icmp',
        '--count',
        '6',
        '-w',
        file,
        '--json',
      ]);
      // While it runs: one packet socket (ours, in c1's namespace), none in the overlay's, nothing promiscuous.
      await eventually(
        'capture open',
        async () => packetSockets(c1ns),
        (l) => l.length === 1,
        3_000,
      );
      expect(packetSockets(overlayOf(h1))).toEqual([]);
      expect(promiscuity(c1ns, 'ethwe')).toBe(ethweBefore);
      expect(promiscuity(overlayOf(h1), 'xnet')).toBe('0');
      const done = await running;
      expect(done.code, done.stderr).toBe(0);
      const r = JSON.parse(done.stdout) as Result<'capture'>;
      expect(r).toMatchObject({
        target: 'c1',
        interface: 'ethwe',
        captured: 6,
        promiscuous: false,
        written: file,
      });
      const read = sh('tcpdump', ['-nr', file]).trim().split('\n');
      expect(read).toHaveLength(6);
      for (const l of read) expect(l).toMatch(/ICMP echo (request|reply)/);
      expect(read.some((l) => l.includes('echo reply'))).toBe(true); // the replies came past the host's veth

      // A peer on another host: its tunnel packets on the underlay, the inner frames decoded.
      const peerFile = join(work, 'two.pcap');
      const peer = await xnetJson<Result<'capture'>>([
        '--lab',
        'h1',
        'capture',
        'peer',
        'two',
        '--count',
        '4',
        '-w',
        peerFile,
      ]);
      expect(peer.filter).toBe(`udp port 4789 and host ${h2.address}`);
      expect(peer.packets.every((p) => p.summary.includes('VXLAN'))).toBe(true);
      const outer = sh('tcpdump', ['-nr', peerFile]);
      expect(outer.match(/ > 198\.18\.0\.\d\.4789: VXLAN/g)).toHaveLength(4);
      expect(outer).toContain(h2.address);
    } finally {
      pinger.kill();
    }
    // Done: the socket went with the capture process.
    expect(packetSockets(`/proc/${p1}/ns/net`)).toEqual([]);
    expect(packetSockets(h1.netnsPath)).toEqual([]);
    expect(packetSockets(overlayOf(h1))).toEqual([]);
    // Bad input: exit 2, the field named, no file written.
    const badFile = join(work, 'bad.pcap');
    for (const [args, field] of [
      [['capture', 'c1', '--filter', 'icmp and ('], 'filter'],
      [['capture', 'nosuch'], 'container'],
      [['capture', 'peer', 'nosuch'], 'peer'],
      [['capture', 'c1', '--count', '0'], 'count'],
    ] as const) {
      const r = await xnet(['--lab', 'h1', ...args, '-w', badFile, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(2);
      expect(JSON.parse(r.stdout).error.field).toBe(field);
    }
    expect(existsSync(badFile)).toBe(false);
  });

  it('runs one fping for the user check from a container, and only the two peer probes on the host', async () => {
    const add = await xnetJson<{ checks: { id: string; label: string }[] }>([
      '--lab',
      'h1',
      'ping',
      '--add',
      C2,
      '--from',
      'c1',
    ]);
    const id = add.checks[0]!.id;
    expect(
      JSON.parse(readFileSync(join(h1.agentStateDir, 'state.json'), 'utf8')).pingChecks[0],
    ).toMatchObject({
      id,
      target: C2,
      from: 'c1',
    });
    await eventually(
      'user check up',
      () => pings(),
      (x) => x.checks.find((c) => c.id === id)?.state === 'up',
      8_000,
    );
    // Under the agent: through its spawner (xnet-spawner), or its own children where that was not built.
    const fpings = () =>
      agentProcesses(h1)
        .map((p) => p.args)
        .filter((l) => l.startsWith('fping -l'));
    // The user check runs in c1's namespace (through nsenter); automatic checks run none there: the host's
    // two peer probes (small, full-size) carry them.
    const seen = await eventually(
      'one fping for c1, two for the peers',
      async () => fpings(),
      (l) => l.length === 3,
      5_000,
    );
    expect(seen.value.filter((l) => l.includes(C2))).toHaveLength(1);
    expect(seen.value.filter((l) => l.includes('-I xnet'))).toHaveLength(2);
    expect(seen.value.join('\n')).not.toMatch(/%ethwe/);
  });

  it('turns a check red within 3 s of an iptables DROP between the containers, and green when it goes', async () => {
    const check = (await pings()).checks.find((c) => c.kind === 'user' && c.target === C2)!;
    expect(check.state).toBe('up');
    const c2ns = `/proc/${pidOf('h2', 'c2')}/ns/net`;
    const rule = ['INPUT', '-s', C1, '-p', 'icmp', '-j', 'DROP'];
    nsh(c2ns, ['iptables', '-I', ...rule]);
    try {
      const down = await eventually(
        'check down',
        async () => (await pings()).checks.find((c) => c.id === check.id)!,
        (c) => c.state === 'down',
        3_000,
      );
      expect(down.value.window.lossPct).toBeGreaterThan(0);
      const human = await xnet(['--lab', 'h1', 'status', 'pings']);
      expect(human.stdout).toMatch(new RegExp(`c1 -> ${C2.replace(/\./g, '\\.')}\\s+down`));
    } finally {
      nsh(c2ns, ['iptables', '-D', ...rule]);
    }
    await eventually(
      'check up again',
      async () => (await pings()).checks.find((c) => c.id === check.id)!,
      (c) => c.state === 'up',
      3_000,
    );
    const events = (await pings()).events.filter((e) => e.checkId === check.id).map((e) => e.to);
    expect(events).toContain('down');
    expect(events[events.length - 1]).toBe('up');
  });

  it('a check whose source container stops is unknown with the reason, never up on no samples', async () => {
    const add = await xnetJson<{ checks: { id: string }[] }>([
      '--lab',
      'h1',
      'ping',
      '--add',
      C2,
      '--from',
      'c1',
    ]);
    const id = add.checks[0]!.id;
    const check = async () => (await pings()).checks.find((c) => c.id === id)!;
    await eventually('check up', check, (c) => c.state === 'up', 8_000);
    labSh('h1', ['docker', 'stop', '-t', '0', 'c1']);
    try {
      const gone = await eventually('check unknown', check, (c) => c.state === 'unknown', 5_000);
      expect(gone.value.error).not.toBeNull();
      // And it stays so once even the window (10 s) has no sample: never "up" with "0 % of 0".
      await sleep(10_500);
      const later = await check();
      expect(later.state).toBe('unknown');
      expect(later.window.sent).toBe(0);
      const human = await xnet(['--lab', 'h1', 'status', 'pings']);
      expect(human.stdout).toMatch(new RegExp(`c1 -> ${C2.replace(/\./g, '\\.')}\\s+unknown`));
    } finally {
      labSh('h1', ['docker', 'start', 'c1']);
    }
    await eventually('check up again', check, (c) => c.state === 'up', 15_000);
    const to = (await pings()).events.filter((e) => e.checkId === id).map((e) => e.to);
    expect(to).toContain('unknown');
  });

  it('catches a lowered underlay MTU with the MTU probe and names the number to set', async () => {
    await eventually(
      'path MTU ok',
      () => pings(),
      (x) => x.pmtu.peers[0]?.state === 'ok',
      15_000,
    );
    nsh(h2.netnsPath, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    try {
      const seen = await eventually(
        'mismatch',
        () => pings(),
        (x) => x.pmtu.peers[0]?.state === 'mismatch',
        25_000,
      );
      // 1400 - 50 = 1350, plus up to 4: a veth accepts frames 4 bytes over its MTU (room for a VLAN tag),
      // and the probe reports what really crossed.
      const p = seen.value.pmtu.peers[0]!;
      expect(p.peer).toBe(h2.address);
      expect(p.pathMtu).toBeGreaterThanOrEqual(1350);
      expect(p.pathMtu).toBeLessThanOrEqual(1354);
      expect(p.suggestedMtu).toBe(p.pathMtu);
      const human = await xnet(['--lab', 'h1', 'status', 'pings']);
      expect(human.stdout).toMatch(new RegExp(`${p.pathMtu} \\(set ${p.pathMtu}\\)\\s+1450`));
    } finally {
      nsh(h2.netnsPath, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
    }
    await eventually(
      'path MTU ok again',
      () => pings(),
      (x) => x.pmtu.peers[0]?.state === 'ok',
      25_000,
    );
  });

  it('refuses bad input with the field named, changing nothing', async () => {
    const state = join(h1.agentStateDir, 'state.json');
    const before = readFileSync(state, 'utf8');
    for (const [args, field] of [
      [['ping', C2, '--from', 'nosuch'], 'from'],
      [['ping', '--add', C2, '--from', 'nosuch'], 'from'],
      [['ping', '172.25.11'], 'target'],
      [['ping', '--add', 'c2'], 'target'],
      [['ping', C2, '--count', '0'], 'count'],
      [['ping', C2, '--count', 'ten'], 'count'],
      [['ping'], 'targets'],
    ] as const) {
      const r = await xnet(['--lab', 'h1', ...args, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stdout}`).toBe(2);
      const err = JSON.parse(r.stdout).error;
      expect(err.field).toBe(field);
      expect(err.hint).toBeTruthy();
    }
    expect(readFileSync(state, 'utf8')).toBe(before);
    const ok = await xnetJson<Result<'ping'>>(['--lab', 'h1', 'ping', C2, '--from', 'c1', '--count', '3']);
    expect(ok.results[0]).toMatchObject({ target: C2, sent: 3, received: 3, lossPct: 0 });
    const lost = await xnet(['--lab', 'h1', 'ping', '172.25.11.99', '--from', 'c1', '--count', '2']);
    expect(lost.code).toBe(1);
    expect(lost.stdout).toMatch(/0\/2 answered, 100% loss/);
  });

  it('hooks a newly attached container from its first packets in a slot of its own, zeroed when it is detached', async () => {
    labSh('h1', ['docker', 'run', '-d', '--name', 'c3', 'xnet/busybox', 'sleep', '3600']);
    const p1 = pidOf('h1', 'c1');
    await xnetJson(['--lab', 'h1', 'attach', '172.25.11.33/24', 'c3']);
    // Its neighbour reaches it at once, before a tick of the agent could fill in the fast path's map: attach
    // told the fast path c3's MAC is local before c3's end came up, so c1's frames to it take the bridge
    // rather than the tunnel (where they would be lost).
    const near = spawnSync(
      'nsenter',
      [
        `--net=/proc/${p1}/ns/net`,
        '--',
        'ping',
        '-n',
        '-q',
        '-c',
        '4',
        '-i',
        '0.1',
        '-W',
        '1',
        '172.25.11.33',
      ],
      { encoding: 'utf8' },
    );
    expect(near.stdout).toMatch(/4 packets transmitted, 4 received/);
    const veth = hostVethName(labSh('h1', ['docker', 'inspect', '-f', '{{.Id}}', 'c3']).trim());
    // Hooked inside attach: the filters are there when attach returns, before any tick of the agent.
    expect(nsh(overlayOf(h1), ['tc', 'filter', 'show', 'dev', veth, 'ingress'])).toMatch(/fast_ingress/);
    labSh('h1', ['docker', 'exec', 'c3', 'ping', '-q', '-c', '3', '-i', '0.2', C2]);
    const hooked = await eventually(
      'c3 hooked',
      () => rates(),
      (x) => x.counters.hooks.some((h) => h.name === veth),
      4_000,
    );
    const ifindex = hooked.value.counters.hooks.find((h) => h.name === veth)!.ifindex;
    // Its slot, as the filter carries it (classid 1:<slot in hex>), and that slot's counts in the array.
    const slot = slotOfFlowid(
      /flowid (\S+)/.exec(nsh(overlayOf(h1), ['tc', 'filter', 'show', 'dev', veth, 'ingress']))?.[1],
    );
    expect(slot).toBeGreaterThan(0);
    const inSlot = () => slotCounts(slot);
    expect(inSlot().icmp).toBeGreaterThanOrEqual(6); // its 3 requests and 3 replies
    // Nothing of it in the hash: the slot is where a veth counts.
    const hashKeys = () =>
      (
        JSON.parse(sh('bpftool', ['-j', 'map', 'dump', 'pinned', h1Pins().counters])) as {
          formatted: { key: { ifindex: number; peer: number } };
        }[]
      ).filter((e) => e.formatted.key.ifindex === ifindex && e.formatted.key.peer === 0);
    expect(hashKeys()).toEqual([]);
    await xnetJson(['--lab', 'h1', 'detach', 'c3']);
    // Freed and zeroed, so the next veth given it starts from zero.
    await eventually(
      'slot zeroed',
      async () => inSlot(),
      (c) => c.all === 0,
      4_000,
    );
    expect((await rates()).counters.hooks.map((h) => h.name)).not.toContain(veth);
    labSh('h1', ['docker', 'rm', '-f', 'c3']);
  });

  it("keeps each veth's slot and its counts across an agent restart, and counts on from there", async () => {
    const veth = hostVeth();
    const slotNow = () =>
      slotOfFlowid(
        /flowid (\S+)/.exec(nsh(overlayOf(h1), ['tc', 'filter', 'show', 'dev', veth, 'ingress']))?.[1],
      );
    const first = slotNow();
    expect(first).toBeGreaterThan(0);
    // No agent for a while: its supervisor first (it would start the agent again at once), then the agent.
    process.kill(Number(readFileSync(h1.supervisorPidfile, 'utf8')), 'SIGKILL');
    const pid = Number(readFileSync(h1.agentPidfile, 'utf8'));
    process.kill(pid, 'SIGTERM');
    await eventually(
      'the agent gone',
      async () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      },
      (gone) => gone,
      5_000,
    );
    // As if the run before had given c1's veth another slot: the new run must read it back from the filter
    // (not give slot numbers anew), and zero the one left behind. The run before would have told the fast
    // path too (the tunnel's frames for c1 count in the slot its map entry names).
    const slot = first + 6;
    const lines = hookLines(h1Pins(), [{ dev: veth, kind: 'veth', slot }]);
    execFileSync('nsenter', [`--net=${overlayOf(h1)}`, '--', 'tc', '-batch', '-'], {
      input: lines.join('\n') + '\n',
    });
    const c1Id = labSh('h1', ['docker', 'inspect', '-f', '{{.Id}}', 'c1']).trim();
    const vethIndex = (
      JSON.parse(nsh(overlayOf(h1), ['ip', '-j', 'link', 'show', veth])) as { ifindex: number }[]
    )[0]!.ifindex;
    await writeLocal(
      localLines(h1Pins(), new Map(), [{ mac: containerMac(c1Id), ifindex: vethIndex, slot }]),
    );
    labSh('h1', ['docker', 'exec', 'c1', 'ping', '-q', '-c', '3', '-i', '0.2', C2]);
    const before = slotCounts(slot).all;
    expect(before).toBeGreaterThanOrEqual(6);
    expect(slotCounts(first).all).toBeGreaterThan(0);
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    expect(Number(readFileSync(h1.agentPidfile, 'utf8'))).not.toBe(pid);
    const back = await eventually(
      'counting again',
      () => rates(),
      (x) => x.counters.state === 'running' && x.source === 'ebpf' && x.counters.hooks.length === 2,
      20_000,
    );
    // Read back from its filter, not given anew: the same slot, its counts not zeroed (the map was kept);
    // the slot no filter carries any more zeroed, so no veth given it later starts from a gone one's counts.
    expect(slotNow()).toBe(slot);
    expect(slotCounts(slot).all).toBeGreaterThanOrEqual(before);
    expect(slotCounts(first).all).toBe(0);
    expect(back.value.counters.hooks.find((h) => h.name === veth)!.what).toContain(`slot ${slot} `);
    // And c1's series goes on: a known load after the restart is in it.
    const start = Date.now();
    labSh('h1', ['docker', 'exec', 'c1', 'ping', '-q', '-c', '10', '-i', '0.1', C2]);
    const end = Date.now();
    const r = await eventually(
      'the load in c1 series',
      () => rates(),
      (x) => (x.containers.find((c) => c.container === 'c1')?.series.at(-1)?.t ?? 0) > end + 1000,
      6_000,
    );
    const icmp = r.value.containers
      .find((c) => c.container === 'c1')!
      .series.filter((s) => s.t >= Math.floor(start / 1000) * 1000 - 1000)
      .reduce((n, s) => n + s.protocols.icmp.packets, 0);
    expect(icmp).toBeGreaterThanOrEqual(20); // 10 requests and 10 replies (and any check's probes)
  });

  it('shows a counter reader that fails as failed with the age of its last read, and recovers', async () => {
    const pins = readdirSync('/sys/fs/bpf/xnet').map((d) => `/sys/fs/bpf/xnet/${d}/maps/xnet_counters`);
    const mine = pins.find((p) => h1Pins().counters === p)!;
    expect(mine, pins.join(' ')).toBeTruthy();
    // The pinned map replaced by a directory: bpftool's reads fail (a real failure, not a stand-in).
    rmSync(mine);
    mkdirSync(mine);
    try {
      const failed = await eventually(
        'failed',
        () => rates(),
        (x) => x.counters.state === 'failed' && (x.counters.ageMs ?? 0) > 2_000,
        6_000,
      );
      expect(failed.value.counters.reason).toMatch(/reading the counter map/);
      const human = await xnet(['--lab', 'h1', 'status', 'rates']);
      expect(human.stdout).toMatch(/counters +ebpf, failed, last read \d+\.\d s ago/);
      // No figure is shown as if it were current.
      expect(human.stdout).toMatch(/^c1 +- +- +- +- +failed/m);
    } finally {
      rmdirSync(mine);
    }
    // The map is gone: the agent loads it anew and hooks every interface again.
    const back = await eventually(
      'running again',
      () => rates(),
      (x) => x.counters.state === 'running' && x.counters.hooks.length === 2,
      6_000,
    );
    expect(back.value.source).toBe('ebpf');
  });

  it('falls back to the interface counters where BPF cannot load, and says so', async () => {
    // The object the running agent loads: the built one beside dist/cli/main.js.
    const object = join(dirname(CLI_MAIN), '..', 'telemetry', 'bpf', 'counters.bpf.o');
    const away = `${object}.away`;
    renameSync(object, away);
    try {
      // Pins gone and no object to load them from: as on a host built without clang.
      rmSync(h1Pins().root, { recursive: true, force: true });
      const fell = await eventually(
        'interface counters',
        () => rates(),
        (x) => x.source === 'interface-counters' && x.counters.state === 'running',
        6_000,
      );
      expect(fell.value.counters.reason).toMatch(/no BPF object/);
      expect(fell.value.counters.reason).toMatch(/the bridge carries every frame/);
      // The fast path's hook off the tunnel too: no program whose maps nobody reads forwards past the bridge.
      expect(nsh(overlayOf(h1), ['tc', 'filter', 'show', 'dev', 'xnet-vx', 'ingress'])).not.toMatch(
        /tunnel_ingress/,
      );
      // Only the seconds counted after the fall: the ones before it were eBPF's, with their split. A sample is
      // labelled with the second it closes minus one, and the tick that fell back takes none.
      const since = Math.floor(Date.now() / 1000) * 1000 - 1000;
      labSh('h1', ['docker', 'exec', 'c1', 'ping', '-q', '-c', '20', '-i', '0.05', C2]);
      await sleep(2_200);
      const r = await rates();
      const c1 = r.containers.find((c) => c.container === 'c1')!.series.filter((s) => s.t >= since);
      // Exact totals (20 requests out, 20 replies in, at least), and no protocol split invented.
      expect(c1.reduce((n, s) => n + s.tx.packets, 0)).toBeGreaterThanOrEqual(20);
      expect(c1.reduce((n, s) => n + s.rx.packets, 0)).toBeGreaterThanOrEqual(20);
      expect(c1.every((s) => Object.values(s.protocols).every((p) => p.packets === 0))).toBe(true);
      expect(r.peers.find((p) => p.address === h2.address)).toMatchObject({ source: 'none', series: [] });
      const human = await xnet(['--lab', 'h1', 'status', 'rates']);
      expect(human.stdout).toMatch(/counters +interface-counters, running/);
      expect(human.stdout).toMatch(/^c1 .*no split \(interface counters\)/m);
    } finally {
      renameSync(away, object);
    }
  });

  it('stops counting with the router, removing its underlay hook', async () => {
    expect((await xnet(['--lab', 'h1', 'stop'])).code).toBe(0);
    const r = await eventually(
      'counters stopped',
      () => rates(),
      (x) => x.counters.state === 'stopped',
      4_000,
    );
    expect(r.value.counters.reason).toMatch(/router is stopped/);
    expect(r.value.source).toBe('none');
    expect(nsh(h1.netnsPath, ['tc', 'filter', 'show', 'dev', 'eth0', 'ingress'])).not.toMatch(
      /underlay_ingress/,
    );
    expect(nsh(overlayOf(h1), ['ip', '-d', 'link', 'show', 'xnet'])).toMatch(/promiscuity 0 /);
    // The fast path off with it: no tunnel in the programs' config, nothing in its map (or, after the
    // fallback test above, no programs at all until the launch tries eBPF again).
    if (existsSync(h1Pins().config)) {
      expect(fastConfig().tunnel_ifindex).toBe(0);
      expect(JSON.parse(sh('bpftool', ['-j', 'map', 'dump', 'pinned', h1Pins().local]))).toEqual([]);
    }
    expect((await xnet(['--lab', 'h1', 'launch'])).code).toBe(0);
    await eventually(
      'counting again',
      () => rates(),
      (x) => x.counters.state === 'running' && x.source === 'ebpf',
      4_000,
    );
    // And on again with the launch: the VXLAN device (made anew) hooked, its ifindex in the config.
    const vx = (
      JSON.parse(nsh(overlayOf(h1), ['ip', '-j', 'link', 'show', 'xnet-vx'])) as { ifindex: number }[]
    )[0]!;
    await eventually(
      'fast path on again',
      async () => (existsSync(h1Pins().config) ? fastConfig().tunnel_ifindex : 0),
      (i) => i === vx.ifindex,
      6_000,
    );
    expect(nsh(overlayOf(h1), ['tc', 'filter', 'show', 'dev', 'xnet-vx', 'ingress'])).toMatch(
      /tunnel_ingress/,
    );
  });
});
