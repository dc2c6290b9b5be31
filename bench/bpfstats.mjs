// The kernel's own statistics of our counter programs (kernel.bpf_stats_enabled: each program's runs and
// nanoseconds), for bench/counters and bench/overlay. The switch is global: it is put back as it was.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pinsFor } from '../dist/telemetry/bpf/kernel.js';

const STATS = '/proc/sys/kernel/bpf_stats_enabled';
/** The programs a container-to-container packet of the vxlan driver crosses (fast path: tunnel_ingress). */
export const PROGS = ['fast_ingress', 'veth_egress', 'tunnel_ingress', 'underlay_ingress', 'underlay_egress'];

/** Each program's runs and nanoseconds so far, on the given lab hosts together. */
export function progStats(hosts) {
  const out = Object.fromEntries(PROGS.map((p) => [p, { runs: 0, ns: 0 }]));
  for (const h of hosts)
    for (const p of PROGS) {
      const s = JSON.parse(
        execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', `${pinsFor(h.agentStateDir).progs}/${p}`], {
          encoding: 'utf8',
        }),
      );
      out[p].runs += s.run_cnt ?? 0;
      out[p].ns += s.run_time_ns ?? 0;
    }
  return out;
}

/** What ran between two readings of progStats. */
export const statsDelta = (before, after) =>
  Object.fromEntries(
    PROGS.map((p) => [p, { runs: after[p].runs - before[p].runs, ns: after[p].ns - before[p].ns }]),
  );

/** Runs fn with the statistics on, and puts the switch back as it was, whatever fn does. */
export async function withBpfStats(fn) {
  const was = readFileSync(STATS, 'utf8').trim();
  try {
    writeFileSync(STATS, '1');
    return await fn();
  } finally {
    writeFileSync(STATS, was);
  }
}

/**
 * The floor (bench/empty.bpf.c): built with clang and pinned under a directory of this lab's own (lab ids
 * keep labs apart; tc's default pin directory would be shared). Returns its pin directory; `dropEmpty` removes it.
 */
export function loadEmpty() {
  const dir = `/sys/fs/bpf/xnet-bench-empty-${process.env.XNET_LAB_ID ?? '0'}`;
  const obj = join(tmpdir(), `xnet-bench-empty-${process.pid}.o`);
  const src = fileURLToPath(new URL('./empty.bpf.c', import.meta.url));
  execFileSync('clang', ['-O2', '-g', '-target', 'bpf', `-I/usr/include/${archDir()}`, '-c', src, '-o', obj]);
  rmSync(dir, { recursive: true, force: true });
  execFileSync('bpftool', ['prog', 'loadall', obj, dir, 'type', 'classifier']);
  rmSync(obj, { force: true });
  return dir;
}
export const dropEmpty = (dir) => rmSync(dir, { recursive: true, force: true });
const archDir = () => `${execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim()}-linux-gnu`;

/** The empty programs' runs and nanoseconds, by the hook they stand beside (every host: one copy each). */
export function emptyStats(dir) {
  return Object.fromEntries(
    PROGS.map((p) => {
      // The veth's ingress runs fast_ingress; the empty object has no stand-in for the tunnel's hook.
      const name = `${dir}/pass_${p === 'fast_ingress' ? 'veth_ingress' : p}`;
      if (!existsSync(name)) return [p, { runs: 0, ns: 0 }];
      const s = JSON.parse(
        execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', name], { encoding: 'utf8' }),
      );
      return [p, { runs: s.run_cnt ?? 0, ns: s.run_time_ns ?? 0 }];
    }),
  );
}
