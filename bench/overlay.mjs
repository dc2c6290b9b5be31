#!/usr/bin/env node
// bench/overlay: iperf3 TCP between two lab hosts, in interleaved rounds so the machine's noise falls on every
// path alike: the underlay (host to host); a bare kernel VXLAN device between the same two hosts (no bridge, no
// agent: the ceiling of the encapsulation here); xnet's overlay container to container with its eBPF counters
// on; and the same with them off (our tc filters taken off the veths and the underlay; the agent still reads).
// The overlay is in each host's overlay namespace (bridge, VXLAN device, veths; br_netfilter off there).
// Each per-round ratio gets its median, a 95 % bootstrap interval of that median, and its range; the counters'
// own cost is read from the kernel's BPF statistics, in a counters-on run of its own each round (the statistics
// add two clock reads to every program run, so the on run the ratios use has them off).
// Also the agents' CPU while the overlay carries traffic, and the time from `connect` to the first cross-host
// ping for a 3-host and a 10-host mesh. Prints figures; never fails on time. Each path's layout and the
// offloads are in overlay-paths.mjs, the printed report in overlay-report.mjs.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

import { closeBpftoolSessions } from '../dist/net/bpftool-session.js';
import { hookLines, pinsFor } from '../dist/telemetry/bpf/kernel.js';
import { hostVethName } from '../dist/net/veth.js';
import { namedNetns, overlayNetnsName } from '../dist/net/overlay.js';
import { bridgeLayout, fastLayout, LAYOUTS, prepare } from './fastpath.mjs';
import { dropEmpty, loadEmpty, PROGS, progStats, statsDelta, withBpfStats } from './bpfstats.mjs';
import { benchMesh as mesh, call, cli, iperf, needEmptyLab } from './lab.mjs';
import { layoutOf, nsh, offloadPorts, offloadsNow, setOffloads } from './overlay-paths.mjs';
import { printConnect, printThroughput } from './overlay-report.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 21);
/** TCP's slow start, left out of every iperf3 run (`-O`). */
const OMIT = 1;
const CONNECT_ROUNDS = Number(process.env.BENCH_CONNECT_ROUNDS ?? 15);
needEmptyLab('bench/overlay');

/** Mesh of n-1 hosts joined through h1; then host n connects, and we time its container's first reply from h1's. */
async function connectToPing(n) {
  const { hosts, pids } = await mesh(n);
  for (const h of hosts.slice(1, -1)) await call(h, 'connect', { peers: ['198.18.0.1'] });
  const last = hosts.at(-1);
  // As an operator would: connect, then ping. (A ping already running before the connect would wait out
  // the kernel's 1 s ARP retransmit for the request it sent before any peer was in the FDB.)
  const t0 = process.hrtime.bigint();
  await call(last, 'connect', { peers: ['198.18.0.1'] });
  const pinger = spawn(
    'nsenter',
    [
      `--net=/proc/${pids.at(-1)}/ns/net`,
      '--',
      'ping',
      '-n',
      '-q',
      '-i',
      '0.01',
      '-c',
      '1',
      '-w',
      '10',
      '172.25.11.10',
    ],
    { stdio: 'ignore' },
  );
  const code = await new Promise((resolve) => pinger.on('exit', (c) => resolve(c)));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  cli('lab', 'down');
  return code === 0 ? ms : NaN;
}

/** A VXLAN device with an address on each host, straight on the underlay (VNI and port of its own). */
function bareVxlan(hosts) {
  for (const [i, h] of hosts.entries()) {
    const peer = hosts[1 - i].address;
    nsh(
      h.netnsPath,
      ['ip', '-batch', '-'],
      [
        `link add xbench-vx type vxlan id 4242 dstport 4790 local ${h.address} remote ${peer} dev eth0`,
        'link set xbench-vx mtu 1450 up',
        `addr add 10.242.0.${i + 1}/24 dev xbench-vx`,
        '',
      ].join('\n'),
    );
  }
}

/**
 * The slot the agent gave a hooked interface (the minor of our filter's classid, counters.bpf.c), read once
 * before the bench first takes the filters off, so putting them back keeps the agent's slot; 0 where none.
 */
const slots = new Map();
function slotOf(netns, dev) {
  const k = `${netns} ${dev}`;
  if (!slots.has(k)) {
    const filters = JSON.parse(nsh(netns, ['tc', '-j', 'filter', 'show', 'dev', dev, 'ingress']));
    const ours = filters.find((f) => f.pref === 49 && f.options?.flowid);
    slots.set(k, ours ? parseInt(ours.options.flowid.split(':')[1], 16) : 0);
  }
  return slots.get(k);
}

/**
 * Our counters on or off on a host: its agent's own tc lines, or deleting our priority on each hook. The veth
 * is in the host's overlay namespace, the underlay in the host's own.
 */
function counters(h, containerId, on) {
  const veth = hostVethName(containerId);
  for (const [netns, dev, kind] of [
    [namedNetns(overlayNetnsName(h.agentStateDir)), veth, 'veth'],
    [h.netnsPath, 'eth0', 'underlay'],
  ]) {
    const lines =
      on === 'empty'
        ? ['ingress', 'egress'].map(
            (dir) =>
              `filter replace dev ${dev} ${dir} pref 49 handle 1 bpf da object-pinned ${emptyDir}/empty_ok`,
          )
        : on
          ? hookLines(pinsFor(h.agentStateDir), [{ dev, kind, slot: slotOf(netns, dev) }])
          : ['ingress', 'egress'].map((dir) => `filter del dev ${dev} ${dir} pref 49`);
    // Deleting what is already off fails harmlessly; hooking must work.
    const r = spawnSync('nsenter', [`--net=${netns}`, '--', 'tc', '-force', '-batch', '-'], {
      input: lines.join('\n') + '\n',
      encoding: 'utf8',
    });
    if (on && r.status !== 0) throw new Error(`hooking counters on ${h.name} ${dev}: ${r.stderr}`);
  }
}

/**
 * BENCH_OFFLOAD=1: the kernel's offloads the issue asks to try on the tunnel path, GRO on both ends of each
 * container's veth and rx-udp-gro-forwarding on the underlay device, as a fifth path in every round: the
 * overlay with counters on and the offloads on for that run only, then put back as they were. The agent sets
 * none of them.
 */
const OFFLOAD = process.env.BENCH_OFFLOAD === '1';
/**
 * BENCH_EMPTY=1: the floor of a hook, as a path of its own in every round: a program that does nothing
 * (bench/empty.bpf.c, returns TC_ACT_OK) in place of ours on the same four hooks. On/empty is what our
 * programs' work costs; empty/off what the hooks and the classifier around a program cost.
 */
const EMPTY = process.env.BENCH_EMPTY === '1';
const emptyDir = EMPTY ? loadEmpty() : null;

const cpuTicks = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
};
const TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

const only = process.env.BENCH_ONLY; // "throughput" or "connect"
const res = { underlay: [], vxlan: [], on: [], off: [], measured: [], offload: [], empty: [] };
/**
 * The product's layout is the fast path (on: counting, off: the same programs not counting, flags in
 * bench/fastpath.mjs); the bridge layout (where BPF cannot load) runs beside it each round, counters on and
 * off. BENCH_FAST adds the fast path's variants (fast-egress: the way out only; fast-plain: the way in by
 * bpf_redirect to the veth rather than into the container's namespace).
 */
const FAST = (process.env.BENCH_FAST ?? '').split(',').filter((f) => f in LAYOUTS);
for (const f of FAST) res[f] = [];
res['bridge-on'] = [];
res['bridge-off'] = [];
/** BENCH_STATS=0: no run with the kernel's BPF statistics on (iterating). */
const STATS = process.env.BENCH_STATS !== '0';
let agentCpu = NaN;
if (only !== 'connect') {
  process.stderr.write('bench: throughput on a 2-host mesh\n');
  const { hosts, pids } = await mesh(2);
  await call(hosts[1], 'connect', { peers: ['198.18.0.1'] });
  bareVxlan(hosts);
  spawnSync('sleep', ['2']);
  const rates = await call(hosts[0], 'rates', { seconds: 1 });
  const source = rates.source;
  const ids = await Promise.all(hosts.map(async (h) => (await call(h, 'ps', {})).attachments[0].containerId));
  const agents = hosts.map((h) => Number(readFileSync(h.agentPidfile, 'utf8')));
  const c = (i) => `/proc/${pids[i]}/ns/net`;
  const ports = OFFLOAD ? offloadPorts(hosts, ids, pids) : [];
  const asWas = offloadsNow(ports);
  const offloadsOn = asWas.map((names) => names.map(([n]) => [n, 'on']));
  const opt = { omit: OMIT };
  let ticks = 0;
  let onSeconds = 0;
  let costSeconds = 0;
  const cost = Object.fromEntries(PROGS.map((p) => [p, { runs: 0, ns: 0 }]));
  const overlay = () => iperf(c(0), c(1), '172.25.11.10', SECONDS, opt);
  const preps = hosts.map((h, i) => {
    slotOf(h.netnsPath, 'eth0');
    return prepare(
      h,
      ids[i],
      pids[i],
      slotOf(namedNetns(overlayNetnsName(h.agentStateDir)), hostVethName(ids[i])),
    );
  });
  for (let r = 0; r < ROUNDS; r++) {
    hosts.forEach((h, i) => counters(h, ids[i], false)); // no hook of ours on the underlay or ceiling rounds
    res.underlay.push(iperf(hosts[0].netnsPath, hosts[1].netnsPath, '198.18.0.1', SECONDS, opt));
    res.vxlan.push(iperf(hosts[0].netnsPath, hosts[1].netnsPath, '10.242.0.1', SECONDS, opt));
    // The overlay paths in turn, in an order that rotates, so none always follows another.
    const paths = [
      'off',
      'on',
      'bridge-on',
      'bridge-off',
      ...(STATS ? ['measured'] : []),
      ...(OFFLOAD ? ['offload'] : []),
      ...(EMPTY ? ['empty'] : []),
      ...FAST,
    ];
    const order = paths.map((_, k) => paths[(k + r) % paths.length]);
    for (const path of order) {
      const [layout, hooks] = layoutOf(path);
      hosts.forEach((h, i) => counters(h, ids[i], hooks));
      for (const [i, h] of hosts.entries())
        await (layout === 'bridge' ? bridgeLayout(h, preps[i]) : fastLayout(h, preps[i], layout));
      if (path !== 'on' && path !== 'measured' && path !== 'offload') {
        res[path].push(overlay());
        continue;
      }
      if (path === 'offload') {
        setOffloads(ports, offloadsOn);
        try {
          res.offload.push(overlay());
        } finally {
          setOffloads(ports, asWas);
        }
        continue;
      }
      if (path === 'on') {
        // The run the ratios compare: counters on as the product runs them, no statistics, the agents' CPU.
        const cpu0 = agents.map(cpuTicks);
        const t0 = Date.now();
        res.on.push(overlay());
        onSeconds += (Date.now() - t0) / 1000;
        ticks += agents.map(cpuTicks).reduce((n, t, i) => n + t - cpu0[i], 0);
        continue;
      }
      // A run of its own for where the cost goes: the kernel's statistics of our programs on for it only (they
      // add two clock reads to every run, which would weigh on the on/off ratio), put back after it.
      const d = await withBpfStats(() => {
        const s0 = progStats(hosts);
        const t0 = Date.now();
        res.measured.push(overlay());
        costSeconds += (Date.now() - t0) / 1000;
        return statsDelta(s0, progStats(hosts));
      });
      for (const p of PROGS) {
        cost[p].runs += d[p].runs;
        cost[p].ns += d[p].ns;
      }
    }
    process.stderr.write(
      `bench: round ${r + 1}/${ROUNDS}: underlay ${res.underlay.at(-1).toFixed(2)}, bare vxlan ${res.vxlan.at(-1).toFixed(2)}, ` +
        `overlay on ${res.on.at(-1).toFixed(2)}, off ${res.off.at(-1).toFixed(2)}, ` +
        `bridge layout on ${res['bridge-on'].at(-1).toFixed(2)}, off ${res['bridge-off'].at(-1).toFixed(2)}` +
        `${OFFLOAD ? `, on with offloads ${res.offload.at(-1).toFixed(2)}` : ''}` +
        `${EMPTY ? `, empty hooks ${res.empty.at(-1).toFixed(2)}` : ''}` +
        FAST.map((f) => `, ${f} ${res[f].at(-1).toFixed(2)}`).join('') +
        ' Gbit/s\n',
    );
  }
  res.cost = { progs: cost, seconds: costSeconds };
  hosts.forEach((h, i) => counters(h, ids[i], true));
  for (const [i, h] of hosts.entries()) await fastLayout(h, preps[i], 'fast');
  agentCpu = (ticks / TCK / onSeconds / 2) * 100; // per agent, % of one core
  res.source = source;
  cli('lab', 'down');
  if (emptyDir) dropEmpty(emptyDir);
  // The layouts' config writes (writeConfig, fastpath.mjs) started this process's bpftool session: ended here
  // rather than left for bpftool to see its stdin close when the bench exits (LongLivedChild unrefs its pipes).
  closeBpftoolSessions();
}
const c3 = [],
  c10 = [];
if (only !== 'throughput') {
  process.stderr.write('bench: connect -> first ping, 3 hosts\n');
  for (let r = 0; r < CONNECT_ROUNDS; r++) c3.push(await connectToPing(3));
  process.stderr.write('bench: connect -> first ping, 10 hosts\n');
  c10.push(await connectToPing(10));
}

if (only !== 'connect')
  printThroughput(res, agentCpu, { SECONDS, OMIT, ROUNDS, STATS, OFFLOAD, EMPTY, FAST });
if (only !== 'throughput') printConnect(c3, c10);
