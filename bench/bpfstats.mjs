// The kernel's own statistics of our counter programs (kernel.bpf_stats_enabled: each program's runs and
// nanoseconds), for bench/counters and bench/overlay. The switch is global: it is put back as it was.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { pinsFor } from '../dist/telemetry/bpf/kernel.js';

const STATS = '/proc/sys/kernel/bpf_stats_enabled';
/** The programs a container-to-container packet of the vxlan driver crosses. */
export const PROGS = ['veth_ingress', 'veth_egress', 'underlay_ingress', 'underlay_egress'];

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
