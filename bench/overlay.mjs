#!/usr/bin/env node
// bench/overlay: iperf3 TCP between containers on two lab hosts over the overlay, beside iperf3 between the
// same two hosts on the underlay, in the same run; and the time from `connect` to the first cross-host ping
// for a 3-host and a 10-host mesh. Prints figures; never fails on time.
import { spawn, spawnSync } from 'node:child_process';
import { benchMesh as mesh, call, cli, iperf, needEmptyLab } from './lab.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
needEmptyLab('bench/overlay');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

const only = process.env.BENCH_ONLY; // "throughput" or "connect"
let u = NaN,
  o = NaN;
if (only !== 'connect') {
  process.stderr.write('bench: throughput on a 2-host mesh\n');
  const { hosts, pids } = await mesh(2);
  await call(hosts[1], 'connect', { peers: ['198.18.0.1'] });
  spawnSync('sleep', ['2']);
  const under = [],
    over = [];
  for (let r = 0; r < ROUNDS; r++) {
    under.push(iperf(hosts[0].netnsPath, hosts[1].netnsPath, '198.18.0.1', SECONDS));
    over.push(iperf(`/proc/${pids[0]}/ns/net`, `/proc/${pids[1]}/ns/net`, '172.25.11.10', SECONDS));
    process.stderr.write(
      `bench: round ${r + 1}/${ROUNDS}: underlay ${under.at(-1).toFixed(2)} Gbit/s, overlay ${over.at(-1).toFixed(2)} Gbit/s\n`,
    );
  }
  cli('lab', 'down');
  u = median(under);
  o = median(over);
}
const c3 = [],
  c10 = [];
if (only !== 'throughput') {
  process.stderr.write('bench: connect -> first ping, 3 hosts\n');
  for (let r = 0; r < ROUNDS; r++) c3.push(await connectToPing(3));
  process.stderr.write('bench: connect -> first ping, 10 hosts\n');
  c10.push(await connectToPing(10));
}

const row = (a, b, c, d) => `${a.padEnd(44)}${b.padStart(12)}${c.padStart(12)}${d.padStart(9)}`;
if (only !== 'connect') {
  console.log(`\nbench/overlay: iperf3 TCP ${SECONDS} s x ${ROUNDS} rounds (median), lab hosts h1 <- h2\n`);
  console.log(row('', 'overlay', 'underlay', 'ratio'));
  console.log(row('container to container, Gbit/s', o.toFixed(2), u.toFixed(2), (o / u).toFixed(2)));
  console.log(`target: overlay >= 0.9 of underlay (${o / u >= 0.9 ? 'met' : 'NOT met'})`);
}
if (only !== 'throughput') {
  console.log(
    `\ntime from connect to first cross-host ping: 3 hosts ${median(c3).toFixed(0)} ms (median of ${c3.length}), 10 hosts ${c10[0].toFixed(0)} ms`,
  );
  console.log(
    `targets: 3 hosts < 1 s (${median(c3) < 1000 ? 'met' : 'NOT met'}); 10 hosts < 3 s (${c10[0] < 3000 ? 'met' : 'NOT met'})`,
  );
}
