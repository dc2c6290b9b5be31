#!/usr/bin/env node
// bench/restart: 100 restarts of an attached container in a row on a lab host with the router running and a
// ping check leaving from the container (its fping lives in the container's namespace), mixing `restart`,
// `restart -t 0`, `stop; start` and `kill; start`. For each: how long after docker's `start` event ethwe had
// its address again. Prints how many were back within 2 s, the median and the max. Never fails on time.
import { execFileSync } from 'node:child_process';
import { CLI_MAIN } from '../dist/agent/client.js';
import { labHost } from '../dist/lab/layout.js';
import { existingHosts } from '../dist/lab/lab.js';

const N = Number(process.env.BENCH_RESTARTS ?? 100);
const ADDRESS = '172.25.11.23/24';
const h = labHost(1);
const cli = (...args) => execFileSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8' });
const docker = (...args) =>
  execFileSync('docker', ['-H', h.dockerHost, ...args], { encoding: 'utf8' }).trim();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ownLab = existingHosts().length === 0;
if (ownLab) cli('lab', 'up', '--hosts', '1');
// Ends at once on SIGTERM, so a plain restart is not 10 s of docker's stop timeout.
const run = (name) =>
  docker(
    'run',
    '-d',
    '--name',
    name,
    'xnet/busybox',
    'sh',
    '-c',
    'trap "exit 0" TERM; while :; do sleep 0.2; done',
  );
run('rweb');
run('rdb');
cli('--lab', 'h1', 'launch', '--nickname', 'bench');
cli('--lab', 'h1', 'attach', ADDRESS, 'rweb');
cli('--lab', 'h1', 'attach', '172.25.11.24/24', 'rdb');
const check = JSON.parse(cli('--lab', 'h1', 'ping', '--add', '172.25.11.24', '--from', 'rweb', '--json'));
await sleep(3_000);

function ethwe(pid) {
  try {
    const out = JSON.parse(
      execFileSync(
        'nsenter',
        [`--net=/proc/${pid}/ns/net`, '--', 'ip', '-json', '-4', 'addr', 'show', 'dev', 'ethwe'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
      ),
    );
    return out[0]?.addr_info.map((a) => `${a.local}/${a.prefixlen}`) ?? [];
  } catch {
    return [];
  }
}

const KINDS = [
  ['restart', [['restart', 'rweb']]],
  ['restart -t 0', [['restart', '-t', '0', 'rweb']]],
  [
    'stop; start',
    [
      ['stop', 'rweb'],
      ['start', 'rweb'],
    ],
  ],
  [
    'kill; start',
    [
      ['kill', 'rweb'],
      ['start', 'rweb'],
    ],
  ],
];
const results = [];
for (let i = 0; i < N; i++) {
  const [kind, steps] = KINDS[i % KINDS.length];
  const since = Math.floor(Date.now() / 1000) - 1;
  for (const s of steps) docker(...s);
  const pid = Number(docker('inspect', '-f', '{{.State.Pid}}', 'rweb'));
  const deadline = Date.now() + 30_000;
  while (!ethwe(pid).includes(ADDRESS) && Date.now() < deadline) await sleep(20);
  const seen = Date.now();
  const back = ethwe(pid).includes(ADDRESS);
  const starts = docker(
    'events',
    '--since',
    String(since),
    '--until',
    String(Math.ceil(seen / 1000) + 1),
    '--filter',
    'container=rweb',
    '--filter',
    'event=start',
    '--format',
    '{{.TimeNano}}',
  )
    .split('\n')
    .filter(Boolean);
  const ms = seen - Number(BigInt(starts.at(-1)) / 1_000_000n);
  results.push({ kind, ms: back ? ms : Infinity });
  process.stderr.write(`${i + 1}/${N} ${kind}: ${back ? `${ms} ms` : 'not back within 30 s'}\n`);
}

const finite = results.map((r) => r.ms).sort((a, b) => a - b);
const median =
  finite.length % 2
    ? finite[(finite.length - 1) / 2]
    : (finite[finite.length / 2 - 1] + finite[finite.length / 2]) / 2;
const within = results.filter((r) => r.ms <= 2_000).length;
console.log(`restarts on ${h.name} with the router running and a ping check in the container: ${N}`);
console.log(`back within 2 s of the start event: ${within}/${N}`);
console.log(
  `median ${median} ms, max ${finite.at(-1) === Infinity ? 'never (30 s)' : `${finite.at(-1)} ms`}`,
);
for (const [kind] of KINDS) {
  const mine = results.filter((r) => r.kind === kind).map((r) => r.ms);
  console.log(
    `  ${kind.padEnd(13)} ${mine.filter((m) => m <= 2_000).length}/${mine.length} within 2 s, max ${Math.max(...mine)} ms`,
  );
}

cli('--lab', 'h1', 'ping', '--remove', check.checks[0].id);
cli('--lab', 'h1', 'detach', 'rweb');
cli('--lab', 'h1', 'detach', 'rdb');
docker('rm', '-f', 'rweb', 'rdb');
if (ownLab) cli('lab', 'down');
