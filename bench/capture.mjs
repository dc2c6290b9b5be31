#!/usr/bin/env node
// bench/capture: the highest packet rate the agent's capture keeps up with (libpcap reports no drops) beside
// tcpdump writing to /dev/null on the same interface (lab host h1's xnet bridge) with the same traffic in the
// same run, and the agent's event-loop delay while it captures. Traffic: iperf3 UDP, 64-byte datagrams, from a
// container on h1 to one on h2 (inside lab namespaces only). Prints figures; never fails on time.
import { spawn } from 'node:child_process';
import { benchMesh, call, cli, needEmptyLab } from './lab.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const RATES = (process.env.BENCH_RATES ?? '25000,50000,100000,150000,200000,300000,400000')
  .split(',')
  .map(Number);
needEmptyLab('bench/capture');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const {
  hosts: [h1],
  pids,
} = await benchMesh(2, { join: true });
for (let i = 0; i < 50; i++) {
  if ((await call(h1, 'rates', { seconds: 1 })).capture.state === 'running') break;
  await sleep(200);
}
const inC = (i, argv) => ['nsenter', `--net=/proc/${pids[i]}/ns/net`, '--', ...argv];
const run = (argv) =>
  new Promise((resolve) => {
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('exit', () => resolve(out));
  });

const rows = [];
for (const rate of RATES) {
  const server = spawn(inC(1, ['iperf3', '-s', '-1'])[0], inC(1, ['iperf3', '-s', '-1']).slice(1), {
    stdio: 'ignore',
  });
  await sleep(400);
  const dump = spawn('nsenter', [`--net=${h1.netnsPath}`, '--', 'tcpdump', '-i', 'xnet', '-w', '/dev/null'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let dumpErr = '';
  dump.stderr.on('data', (d) => (dumpErr += d));
  const dumped = new Promise((r) => dump.on('exit', r));
  await sleep(1000);
  const start = Date.now();
  await run(
    inC(0, [
      'iperf3',
      '-c',
      '172.25.11.11',
      '-u',
      '-l',
      '64',
      '-b',
      String(rate * 64 * 8),
      '-t',
      String(SECONDS),
    ]),
  );
  const end = Date.now();
  await sleep(1500);
  dump.kill('SIGINT');
  await dumped;
  server.kill();
  const r = await call(h1, 'rates', { seconds: 60 });
  const from = Math.ceil(start / 1000) * 1000;
  const to = Math.floor(end / 1000) * 1000 - 1000;
  const bridge = r.interfaces.find((i) => i.role === 'bridge');
  const inLoad = bridge.series.filter((s) => s.t >= from && s.t <= to);
  const all = bridge.series.filter((s) => s.t >= from - 1000 && s.t <= to + 2000);
  const pps = inLoad.length
    ? Math.round(inLoad.reduce((n, s) => n + s.captured.packets, 0) / inLoad.length)
    : 0;
  const kernelPps = inLoad.length
    ? Math.round(inLoad.reduce((n, s) => n + (s.kernel?.packets ?? 0), 0) / inLoad.length)
    : 0;
  const agentDrops = all.reduce((n, s) => n + s.dropped, 0);
  const tcpdumpDrops = Number(/(\d+) packets dropped by kernel/.exec(dumpErr)?.[1] ?? NaN);
  const loop = (r.eventLoopDelay ?? []).filter((s) => s.t >= from && s.t <= to);
  const loopMax = loop.length ? Math.max(...loop.map((s) => s.maxMs)) : NaN;
  const loopP99 = loop.length ? Math.max(...loop.map((s) => s.p99Ms)) : NaN;
  rows.push({ rate, pps, kernelPps, agentDrops, tcpdumpDrops, loopP99, loopMax });
  console.error(
    `offered ${rate} p/s: on the bridge ${pps} p/s (kernel ${kernelPps}), drops agent ${agentDrops}, tcpdump ${tcpdumpDrops}, event loop p99 ${loopP99} ms, max ${loopMax} ms`,
  );
}
cli('lab', 'down');

const pad = (s, n) => String(s).padStart(n);
console.log(`\nbench/capture: lab host h1, bridge xnet, iperf3 UDP 64-byte datagrams, ${SECONDS} s per step`);
console.log('offered p/s  captured p/s  kernel p/s  agent drops  tcpdump drops  loop p99 ms  loop max ms');
for (const r of rows)
  console.log(
    `${pad(r.rate, 11)}  ${pad(r.pps, 12)}  ${pad(r.kernelPps, 10)}  ${pad(r.agentDrops, 11)}  ${pad(r.tcpdumpDrops, 13)}  ${pad(r.loopP99, 11)}  ${pad(r.loopMax, 11)}`,
  );
const best = (key) => Math.max(0, ...rows.filter((r) => r[key] === 0).map((r) => r.pps));
const agentBest = best('agentDrops');
const tcpdumpBest = best('tcpdumpDrops');
const near100k = rows.reduce(
  (a, r) => (Math.abs(r.pps - 100_000) < Math.abs(a.pps - 100_000) ? r : a),
  rows[0],
);
console.log(
  `\nhighest drop-free rate: agent ${agentBest} p/s, tcpdump ${tcpdumpBest} p/s, ratio ${(agentBest / tcpdumpBest).toFixed(2)} (target >= 0.8)`,
);
console.log(
  `agent event-loop delay at ${near100k.pps} p/s: p99 ${near100k.loopP99} ms, max ${near100k.loopMax} ms (target < 20 ms at 100,000 p/s)`,
);
console.log(
  '(a rate is drop-free when libpcap reported no drop during it; the highest offered rate may be what the generator reached, not a capture limit)',
);
