import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/api/index.js';
import { labHost } from '../../src/lab/layout.js';
import { containerMac } from '../../src/net/veth.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { readPcap } from '../helpers/pcapfile.js';

// Two lab hosts in a mesh, a container on each; the agent's figures held to tcpdump on the same interfaces.
const h1 = labHost(1);
const h2 = labHost(2);
const C1 = '172.25.11.23';
const C2 = '172.25.11.24';
const work = mkdtempSync(join(tmpdir(), 'xnet-telemetry-'));

const nsh = (netns: string, argv: string[]): string => sh('nsenter', [`--net=${netns}`, '--', ...argv]);
const pidOf = (host: string, name: string): number =>
  Number(labSh(host, ['docker', 'inspect', '-f', '{{.State.Pid}}', name]).trim());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms: number) {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < ms) {
    last = await get();
    if (ok(last)) return { value: last, ms: Date.now() - start };
    await sleep(150);
  }
  throw new Error(`${what}: not within ${ms} ms; last seen ${JSON.stringify(last)?.slice(0, 2000)}`);
}

type Pings = Result<'pings'> & { pmtu: Result<'pmtu'> };
const pings = (host = 'h1') => xnetJson<Pings>(['--lab', host, 'status', 'pings']);
const rates = (host = 'h1') => xnetJson<Result<'rates'>>(['--lab', host, 'status', 'rates']);

/** tcpdump writing the frames matching `filter` on `dev` in `netns` to a file, until stopped. */
function tcpdump(netns: string, dev: string, filter: string, file: string): { stop: () => Promise<void> } {
  const child: ChildProcess = spawn(
    'nsenter',
    [`--net=${netns}`, '--', 'tcpdump', '-i', dev, '-s', '128', '-w', file, '-U', filter],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
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

/** Packets and bytes per second in a tcpdump file. */
function perSecond(file: string): Map<number, { packets: number; bytes: number }> {
  const m = new Map<number, { packets: number; bytes: number }>();
  for (const r of readPcap(file)) {
    const c = m.get(r.second * 1000) ?? { packets: 0, bytes: 0 };
    c.packets++;
    c.bytes += r.len;
    m.set(r.second * 1000, c);
  }
  return m;
}

describe('telemetry on two lab hosts', () => {
  beforeAll(async () => {
    await xnet(['lab', 'down']);
    const up = await xnet(['lab', 'up', '--hosts', '2']);
    expect(up.code, up.stderr).toBe(0);
    labSh('h1', ['docker', 'run', '-d', '--name', 'c1', 'xnet/busybox', 'sleep', '3600']);
    labSh('h2', ['docker', 'run', '-d', '--name', 'c2', 'xnet/busybox', 'sleep', '3600']);
    await xnetJson(['--lab', 'h1', 'launch', '--nickname', 'one']);
    await xnetJson(['--lab', 'h2', 'launch', '--nickname', 'two', h1.address]);
    await xnetJson(['--lab', 'h1', 'attach', `${C1}/24`, 'c1']);
    await xnetJson(['--lab', 'h2', 'attach', `${C2}/24`, 'c2']);
  });

  afterAll(async () => {
    await xnet(['lab', 'down']);
    rmSync(work, { recursive: true, force: true });
  });

  it('captures on the bridge (promiscuous) and the underlay once the router runs', async () => {
    const r = await eventually(
      'capture running',
      () => rates(),
      (x) => x.capture.state === 'running',
      5_000,
    );
    expect(r.value.interfaces.map((i) => [i.name, i.role, i.promiscuous])).toEqual([
      ['xnet', 'bridge', true],
      ['eth0', 'underlay', false],
    ]);
    expect(nsh(h1.netnsPath, ['ip', '-d', 'link', 'show', 'xnet'])).toMatch(/promiscuity 1 /);
    // Each of the capture's packet sockets has a kernel filter that accepts with "return 128" (BPF_RET|BPF_K,
    // 0x06): the kernel copies 128 bytes of a frame, not the whole (64 KB) GSO packet, into libpcap's ring.
    const sockets = nsh(h1.netnsPath, ['ss', '-0', '-b', '-p'])
      .split(/\n(?=p_)/)
      .filter((s) => s.includes('"node"')); // the capture process; nothing else in h1 opens packet sockets
    expect(sockets).toHaveLength(2);
    for (const s of sockets) expect(s).toMatch(/bpf filter \(\d+\):.*0x06 0 0 128,/s);
  });

  it('counts a container and a peer within 2 % of tcpdump on the same interfaces during a known load', async () => {
    const p1 = pidOf('h1', 'c1');
    const p2 = pidOf('h2', 'c2');
    await eventually(
      'automatic check up',
      () => pings(),
      (x) => x.checks.some((c) => c.state === 'up'),
      10_000,
    );
    const server = spawn('nsenter', [`--net=/proc/${p2}/ns/net`, '--', 'iperf3', '-s', '-1'], {
      stdio: 'ignore',
    });
    await sleep(500);
    const mac = containerMac(labSh('h1', ['docker', 'inspect', '-f', '{{.Id}}', 'c1']).trim());
    const bridgeFile = join(work, 'bridge.pcap');
    const underFile = join(work, 'underlay.pcap');
    const dumps = [
      tcpdump(h1.netnsPath, 'xnet', `ether host ${mac}`, bridgeFile),
      tcpdump(h1.netnsPath, 'eth0', `udp port 4789 and host ${h2.address}`, underFile),
    ];
    await sleep(1_500);
    const start = Date.now();
    // 5,000 pings at 1 ms and a 20 Mbit/s UDP stream, from container c1 (h1) to container c2 (h2), at once.
    const load = Promise.all([
      runFor(
        ['nsenter', `--net=/proc/${p1}/ns/net`, '--', 'ping', '-q', '-c', '5000', '-i', '0.001', C2],
        30_000,
      ),
      runFor(
        [
          'nsenter',
          `--net=/proc/${p1}/ns/net`,
          '--',
          'iperf3',
          '-c',
          C2,
          '-u',
          '-b',
          '20M',
          '-l',
          '1000',
          '-t',
          '4',
          '--connect-timeout',
          '3000',
        ],
        30_000,
      ),
    ]);
    const ran = await load;
    const end = Date.now();
    await sleep(1_500);
    await Promise.all(dumps.map((d) => d.stop()));
    server.kill();
    await sleep(1_000);
    const r = await rates();

    // The whole seconds the load ran in, which both tcpdump and the agent saw from start to end.
    const from = Math.floor(start / 1000) * 1000;
    const to = Math.floor(end / 1000) * 1000;
    const inRange = (t: number) => t >= from && t <= to;
    const sum = (m: Map<number, { packets: number; bytes: number }>) =>
      [...m]
        .filter(([t]) => inRange(t))
        .reduce((a, [, c]) => ({ packets: a.packets + c.packets, bytes: a.bytes + c.bytes }), {
          packets: 0,
          bytes: 0,
        });
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
    const witnessC = sum(perSecond(bridgeFile));
    const witnessP = sum(perSecond(underFile));
    const agentC = agentSum(r.containers.find((c) => c.container === 'c1')!.series);
    const agentP = agentSum(r.peers.find((p) => p.address === h2.address)!.series);
    const report = { ran, seconds: (to - from) / 1000 + 1, witnessC, agentC, witnessP, agentP };
    // 10,000 ICMP frames plus 10,000 UDP datagrams at least, so 2 % is a real bound.
    expect(witnessC.packets, JSON.stringify(report)).toBeGreaterThan(19_000);
    for (const [agent, witness] of [
      [agentC, witnessC],
      [agentP, witnessP],
    ] as const) {
      expect(
        Math.abs(agent.packets - witness.packets) / witness.packets,
        JSON.stringify(report),
      ).toBeLessThan(0.02);
      expect(Math.abs(agent.bytes - witness.bytes) / witness.bytes, JSON.stringify(report)).toBeLessThan(
        0.02,
      );
    }
    // By protocol: the stream is UDP, the pings ICMP.
    const c1 = r.containers.find((c) => c.container === 'c1')!.series.filter((s) => inRange(s.t));
    expect(c1.reduce((n, s) => n + s.protocols.udp.packets, 0)).toBeGreaterThan(9_000);
    expect(c1.reduce((n, s) => n + s.protocols.icmp.packets, 0)).toBeGreaterThan(9_900);
    // Drops are reported as libpcap counts them; the kernel's counters agree with what was captured.
    const bridge = r.interfaces.find((i) => i.role === 'bridge')!;
    const kernelSecs = bridge.series.filter((s) => inRange(s.t) && s.kernel);
    const cap = kernelSecs.reduce((n, s) => n + s.captured.packets, 0);
    const ker = kernelSecs.reduce((n, s) => n + s.kernel!.packets, 0);
    expect(Math.abs(cap - ker) / ker, JSON.stringify({ cap, ker })).toBeLessThan(0.05);
    expect(bridge.stats.dropped).toBe(bridge.series.reduce((n, s) => n + s.dropped, 0));
  }, 120_000);

  it('runs one fping per source namespace, shared by the automatic and the user check from that container', async () => {
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
    const agent = readFileSync(h1.agentPidfile, 'utf8').trim();
    const fpings = () =>
      execFileSync('ps', ['-o', 'args=', '--ppid', agent], { encoding: 'utf8' })
        .split('\n')
        .filter((l) => l.startsWith('fping -l'));
    // c1's automatic check (to h2's probe address) and the user check share c1's namespace: one process.
    await eventually(
      'one fping for c1',
      async () => fpings(),
      (l) => l.length === 1 && l[0]!.includes(C2),
      5_000,
    );
    expect(fpings()[0]).toMatch(/fe80::.*%ethwe/);
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

  it('stops capture with the router and leaves no interface promiscuous', async () => {
    expect((await xnet(['--lab', 'h1', 'stop'])).code).toBe(0);
    const r = await eventually(
      'capture stopped',
      () => rates(),
      (x) => x.capture.state === 'stopped',
      4_000,
    );
    expect(r.value.capture.reason).toMatch(/router is stopped/);
    expect(nsh(h1.netnsPath, ['ip', '-d', 'link', 'show', 'xnet'])).toMatch(/promiscuity 0 /);
    expect((await xnet(['--lab', 'h1', 'launch'])).code).toBe(0);
    await eventually(
      'capture running again',
      () => rates(),
      (x) => x.capture.state === 'running',
      4_000,
    );
  });
});
