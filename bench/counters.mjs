#!/usr/bin/env node
// bench/counters: what the eBPF counters cost. The kernel's own BPF statistics (kernel.bpf_stats_enabled, on
// for the length of the bench and put back as it was) give each program's runs and nanoseconds, so the cost
// per packet per hook is measured where it is spent. Traffic: iperf3 UDP with 64-byte datagrams, then an
// iperf3 TCP stream, from a container on lab host h1 to one on h2 (inside lab namespaces only). Also the agent's
// read of the map (bpftool map dump) and its event-loop delay meanwhile. Prints figures; never fails on time.
import { spawn, spawnSync } from 'node:child_process';
import { hostVethName } from '../dist/net/veth.js';
import { namedNetns, overlayNetnsName } from '../dist/net/overlay.js';
import { dropEmpty, emptyStats, loadEmpty, PROGS, progStats as statsOf, withBpfStats } from './bpfstats.mjs';
import { benchMesh, call, cli, needEmptyLab } from './lab.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const PPS = Number(process.env.BENCH_PPS ?? 100_000);
needEmptyLab('bench/counters');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const {
  hosts: [h1, h2],
  pids,
} = await benchMesh(2, { join: true });
for (const h of [h1, h2])
  for (let i = 0; i < 50; i++) {
    const r = await call(h, 'rates', { seconds: 1 });
    if (r.source === 'ebpf' && r.counters.hooks.length === 2) break;
    await sleep(200);
  }
const inC = (i, argv) => ['nsenter', `--net=/proc/${pids[i]}/ns/net`, '--', ...argv];
const run = (argv) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });

/**
 * The floor, side by side (BENCH_EMPTY=0 leaves it out): an empty program before ours on each of the four
 * hooks (priority 48, handing the packet on), so the same packets give both figures.
 */
const EMPTY = process.env.BENCH_EMPTY !== '0';
const emptyDir = EMPTY ? loadEmpty() : null;
if (emptyDir)
  for (const h of [h1, h2]) {
    const id = (await call(h, 'ps', {})).attachments[0].containerId;
    for (const [netns, dev, kind] of [
      [namedNetns(overlayNetnsName(h.agentStateDir)), hostVethName(id), 'veth'],
      [h.netnsPath, 'eth0', 'underlay'],
    ]) {
      const lines = ['ingress', 'egress'].map(
        (dir) =>
          `filter replace dev ${dev} ${dir} pref 48 handle 1 bpf da object-pinned ${emptyDir}/pass_${kind}_${dir}`,
      );
      const r = spawnSync('nsenter', [`--net=${netns}`, '--', 'tc', '-batch', '-'], {
        input: lines.join('\n') + '\n',
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`hooking the empty program on ${h.name} ${dev}: ${r.stderr}`);
    }
  }
const progStats = () => {
  const ours = statsOf([h1, h2]);
  if (!emptyDir) return ours;
  const e = emptyStats(emptyDir);
  return Object.fromEntries([...PROGS.map((p) => [p, ours[p]]), ...PROGS.map((p) => [`empty ${p}`, e[p]])]);
};
const NAMES = emptyDir ? [...PROGS, ...PROGS.map((p) => `empty ${p}`)] : PROGS;

async function load(name, argv) {
  const server = spawn(...(([f, ...a]) => [f, a])(inC(1, ['iperf3', '-s', '-1'])), { stdio: 'ignore' });
  await sleep(400);
  const before = progStats();
  const start = Date.now();
  run(inC(0, argv));
  const end = Date.now();
  const after = progStats();
  server.kill();
  await sleep(1_500);
  const r = await call(h1, 'rates', { seconds: 60 });
  const loop = (r.eventLoopDelay ?? []).filter((s) => s.t >= start - 1000 && s.t <= end);
  return {
    name,
    progs: NAMES.map((p) => {
      const runs = after[p].runs - before[p].runs;
      return { p, runs, nsPerRun: runs ? (after[p].ns - before[p].ns) / runs : NaN };
    }),
    readMs: r.counters.readMs,
    loopMax: loop.length ? Math.max(...loop.map((s) => s.maxMs)) : NaN,
  };
}

const rows = [];
try {
  await withBpfStats(async () => {
    const udp = [
      'iperf3',
      '-c',
      '172.25.11.11',
      '-u',
      '-l',
      '64',
      '-b',
      String(PPS * 64 * 8),
      '-t',
      String(SECONDS),
    ];
    rows.push(await load(`UDP 64 B at ${PPS} p/s`, udp));
    rows.push(await load('TCP stream', ['iperf3', '-c', '172.25.11.11', '-t', String(SECONDS)]));
  });
} finally {
  cli('lab', 'down');
  if (emptyDir) dropEmpty(emptyDir);
}

console.log(`\nbench/counters: lab hosts h1 -> h2, ${SECONDS} s per load; kernel BPF statistics, both hosts`);
for (const r of rows) {
  console.log(`\n${r.name}: agent's map read ${r.readMs} ms, event-loop max ${r.loopMax} ms`);
  console.log('program                  runs        ns per run');
  for (const p of r.progs)
    console.log(`${p.p.padEnd(23)}  ${String(p.runs).padStart(10)}  ${p.nsPerRun.toFixed(1).padStart(10)}`);
}
console.log(
  '\n(a packet from one container to another crosses four hooks: veth ingress on h1, underlay egress on h1,\n underlay ingress on h2, veth egress on h2; each hook is one run' +
    (emptyDir
      ? ';\n "empty": a program that does nothing, on the same hook just before ours: the floor)'
      : ')'),
);
