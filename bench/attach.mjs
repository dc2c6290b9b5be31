#!/usr/bin/env node
// bench/attach: attach N containers through the agent, beside the bare iproute2 commands that give the
// same result, run from a shell script, in the same run on the same lab host. Prints figures, never fails on time.
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { AgentConnection } from '../dist/agent/rpc.js';
import { CLI_MAIN } from '../dist/agent/client.js';
import { labHost } from '../dist/lab/layout.js';
import { existingHosts } from '../dist/lab/lab.js';

const N = Number(process.env.BENCH_CONTAINERS ?? 100);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const h = labHost(1);
const cli = (...args) => execFileSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8' });

const ownLab = existingHosts().length === 0;
if (ownLab) cli('lab', 'up', '--hosts', '1');
const docker = new Docker({ socketPath: h.dockerSocket });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cidr = (i) => `172.26.${Math.floor(i / 250)}.${(i % 250) + 2}/16`;

process.stderr.write(`bench: starting ${N} containers on ${h.name}\n`);
const names = Array.from({ length: N }, (_, i) => `bench${i}`);
for (let i = 0; i < N; i += 10) {
  await Promise.all(
    names.slice(i, i + 10).map(async (name) => {
      const c = await docker.createContainer({ name, Image: 'xnet/busybox:latest', Cmd: ['sleep', '3600'] });
      await c.start();
    }),
  );
}
const pids = await Promise.all(names.map(async (n) => (await docker.getContainer(n).inspect()).State.Pid));

const agent = await AgentConnection.open(h.agentSocket);
// The bridge exists before either side is timed, so neither pays for creating it.
await agent.call('attach', { cidrs: [cidr(0)], container: names[0] });
await agent.call('detach', { cidrs: [], container: names[0] });

async function xnetRound() {
  const times = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await agent.call('attach', { cidrs: [cidr(i)], container: names[i] });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const total = Number(process.hrtime.bigint() - start) / 1e6;
  for (const n of names) await agent.call('detach', { cidrs: [], container: n });
  return { times, total };
}

// The baseline: what an operator's script would run, one command per step, PIDs already known.
const dir = mkdtempSync(join(tmpdir(), 'xnet-bench-'));
const script = join(dir, 'attach.sh');
writeFileSync(
  script,
  `#!/bin/bash
set -e
start=$(date +%s%N)
while read -r i pid cidr; do
  t0=$(date +%s%N)
  ip link add vxb$i mtu 1500 type veth peer name ethwe mtu 1500 netns $pid
  ip link set vxb$i master xnet
  ip link set dev vxb$i type bridge_slave hairpin on
  ip link set vxb$i up
  nsenter --net=/proc/$pid/ns/net ip addr add $cidr dev ethwe
  nsenter --net=/proc/$pid/ns/net ip link set ethwe up
  echo $(( ($(date +%s%N) - t0) / 1000 ))
done
echo total $(( ($(date +%s%N) - start) / 1000 ))
`,
);
const input = names.map((_, i) => `${i} ${pids[i]} ${cidr(i)}`).join('\n') + '\n';

function baselineRound() {
  const r = spawnSync('nsenter', [`--net=${h.netnsPath}`, '--', 'bash', script], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`baseline failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  const total = Number(lines.pop().split(' ')[1]) / 1000;
  const times = lines.map((l) => Number(l) / 1000);
  for (const pid of pids)
    spawnSync('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', 'link', 'del', 'ethwe']);
  return { times, total };
}

const xnetMedians = [],
  baseMedians = [],
  xnetTotals = [],
  baseTotals = [];
for (let r = 0; r < ROUNDS; r++) {
  const b = baselineRound();
  const x = await xnetRound();
  baseMedians.push(median(b.times));
  xnetMedians.push(median(x.times));
  baseTotals.push(b.total);
  xnetTotals.push(x.total);
  process.stderr.write(
    `bench: round ${r + 1}/${ROUNDS}: xnet ${median(x.times).toFixed(2)} ms, baseline ${median(b.times).toFixed(2)} ms\n`,
  );
}
const t0 = process.hrtime.bigint();
cli('--lab', 'h1', 'attach', cidr(0), names[0]);
const cliMs = Number(process.hrtime.bigint() - t0) / 1e6;
agent.close();

const xm = median(xnetMedians),
  bm = median(baseMedians),
  xt = median(xnetTotals),
  bt = median(baseTotals);
const row = (a, b, c, d) => `${a.padEnd(34)}${b.padStart(12)}${c.padStart(12)}${d.padStart(9)}`;
console.log(`\nbench/attach: ${N} containers on lab host ${h.name}, ${ROUNDS} rounds, median of rounds\n`);
console.log(row('', 'xnet agent', 'iproute2 sh', 'ratio'));
console.log(row('median time per attach (ms)', xm.toFixed(2), bm.toFixed(2), (xm / bm).toFixed(2)));
console.log(row(`all ${N} attached (ms)`, xt.toFixed(0), bt.toFixed(0), (xt / bt).toFixed(2)));
console.log(`\none attach from the command line, node start-up included: ${cliMs.toFixed(0)} ms`);
console.log(
  `targets: ratio <= 1.5 (${xm / bm <= 1.5 ? 'met' : 'NOT met'}); ${N} attached in < 5 s (${xt < 5000 ? 'met' : 'NOT met'})`,
);

rmSync(dir, { recursive: true, force: true });
await Promise.all(names.map((n) => docker.getContainer(n).remove({ force: true })));
if (ownLab) cli('lab', 'down');
