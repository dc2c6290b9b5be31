#!/usr/bin/env node
// bench/mapread: what the agent's read of its counter map costs each second, through xnet-mapread (the read now)
// against the long-lived bpftool session (the read before, and the fallback), on the real map: the built
// counters object loaded and pinned under /sys/fs/bpf/xnet (needs root and bpffs, no lab), filled as a host of a
// 50-host mesh held it (49 peers x 2 directions, the probes' ICMPv6 inside VXLAN: 98 entries). Interleaved rounds
// of READS reads each way; per read: the agent's CPU (parse included) plus the reader process's own, and the
// wall time. Prints figures side by side with their ratio; never fails on time.
//   BENCH_ROUNDS=5 BENCH_READS=200 BENCH_PEERS=49 npm run bench:mapread
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { bpftool, closeBpftoolSessions } from '../dist/net/bpftool-session.js';
import { loadPinned } from '../dist/net/bpffs.js';
import { ensureBpffs, OBJECT } from '../dist/telemetry/bpf/kernel.js';
import { MAPREAD, MapReader } from '../dist/net/mapread.js';
import { parseBatchParts, rowsParts } from '../dist/telemetry/bpf/table.js';
import { median } from './stats.mjs';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const READS = Number(process.env.BENCH_READS ?? 200);
const PEERS = Number(process.env.BENCH_PEERS ?? 49);
const root = `/sys/fs/bpf/xnet/bench-mapread-${process.pid}`;
const map = `${root}/maps/xnet_counters`;

/** A process's user + system CPU so far, in ms. */
function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

async function timed(read, childPid) {
  await read(); // the reader started and warm
  const child = childPid();
  const c0 = process.cpuUsage();
  const k0 = cpuMs(child);
  const w0 = performance.now();
  for (let i = 0; i < READS; i++) await read();
  const wall = performance.now() - w0;
  const u = process.cpuUsage(c0);
  return {
    agent: (u.user + u.system) / 1000 / READS,
    reader: (cpuMs(child) - k0) / READS,
    wall: wall / READS,
  };
}

await ensureBpffs();
try {
  await loadPinned(OBJECT, root);
  // struct key: ifindex u32, peer u32 (network order), dir u8, proto u8, pad; struct value: 3 u64 per CPU.
  const lines = [];
  for (let p = 0; p < PEERS; p++)
    for (const dir of [0, 1])
      for (const proto of [3]) {
        const key = [2, 0, 0, 0, 198, 18, 0, p + 2, dir, proto, 0, 0];
        const value = Buffer.alloc(24);
        value.writeBigUInt64LE(BigInt(1000 + p), 0);
        value.writeBigUInt64LE(BigInt(150_000 + p), 8);
        value.writeBigUInt64LE(BigInt(1000 + p), 16);
        lines.push(`map update pinned ${map} key ${key.join(' ')} value ${[...value].join(' ')}`);
      }
  execFileSync('bpftool', ['batch', 'file', '-'], { input: lines.join('\n') + '\n' });
  const slots = new Map();
  const reader = new MapReader(MAPREAD);
  const viaBpftool = async () =>
    parseBatchParts(await bpftool('reads').run([`map dump pinned ${map}`]), slots);
  const viaMapread = async () => rowsParts(await reader.run([`sum ${map}`]), slots);
  const same =
    JSON.stringify([...(await viaBpftool()).hash]) === JSON.stringify([...(await viaMapread()).hash]);
  const entries = (await viaMapread()).hash.size;
  const json = execFileSync('bpftool', ['-j', '-p', 'map', 'dump', 'pinned', map], { encoding: 'utf8' });
  console.log(
    `bench/mapread: the counter map with ${entries} entries (bpftool's JSON of it: ${json.split('\n').length} lines, ` +
      `${(json.length / 1024).toFixed(0)} KB); the same table both ways: ${same}`,
  );
  const rows = { bpftool: [], mapread: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, the order swapped each round.
    const order = r % 2 ? ['mapread', 'bpftool'] : ['bpftool', 'mapread'];
    for (const way of order)
      rows[way].push(
        way === 'bpftool'
          ? await timed(viaBpftool, () => bpftool('reads').pid)
          : await timed(viaMapread, () => reader.pid),
      );
  }
  reader.close();
  const m = (way, k) => median(rows[way].map((x) => x[k]));
  const pad = (s, i) => String(s).padEnd(i === 0 ? 30 : 18);
  console.log(['per read (median of rounds)', 'bpftool session', 'xnet-mapread', 'ratio'].map(pad).join(''));
  for (const [k, label] of [
    ['agent', 'agent CPU ms'],
    ['reader', 'reader CPU ms'],
    ['wall', 'wall ms'],
  ])
    console.log(
      [
        label,
        m('bpftool', k).toFixed(3),
        m('mapread', k).toFixed(3),
        (m('mapread', k) / m('bpftool', k)).toFixed(2),
      ]
        .map(pad)
        .join(''),
    );
  const total = (way) => m(way, 'agent') + m(way, 'reader');
  console.log(
    `CPU per read, agent and reader: ${total('bpftool').toFixed(3)} ms -> ${total('mapread').toFixed(3)} ms ` +
      `(x${(total('mapread') / total('bpftool')).toFixed(2)}); at one read a second on 50 hosts: ` +
      `${((total('bpftool') * 50) / 10).toFixed(1)}% -> ${((total('mapread') * 50) / 10).toFixed(1)}% of one core`,
  );
} finally {
  closeBpftoolSessions();
  rmSync(root, { recursive: true, force: true });
}
