// bench/overlay's printed report: each path's figures and per-round ratios (median, 95 % bootstrap interval of
// the median, range), the verdicts against the targets, where the counters' time goes, and the connect times.
// What is measured, and how, is bench/overlay.mjs.
import { availableParallelism, loadavg } from 'node:os';
import { PROGS } from './bpfstats.mjs';
import { bootstrapMedianCI, median, range } from './stats.mjs';

const span = (lo, hi) => `${lo.toFixed(2)}-${hi.toFixed(2)}`;

/**
 * The throughput rounds' report. `res`: each path's Gbit/s per round, the counters' source and the statistics
 * runs' cost; `run`: how the rounds ran (SECONDS, OMIT, ROUNDS, and the optional paths STATS, OFFLOAD, EMPTY,
 * FAST).
 */
export function printThroughput(res, agentCpu, run) {
  const { SECONDS, OMIT, ROUNDS, STATS, OFFLOAD, EMPTY, FAST } = run;
  const ratio = (a, b) => a.map((x, i) => x / b[i]);
  const r = {
    vxlanU: ratio(res.vxlan, res.underlay),
    onU: ratio(res.on, res.underlay),
    onV: ratio(res.on, res.vxlan),
    onOff: ratio(res.on, res.off),
    offV: ratio(res.off, res.vxlan),
    offloadOn: ratio(res.offload, res.on),
    measuredOn: ratio(res.measured, res.on),
    onEmpty: ratio(res.on, res.empty),
    emptyOff: ratio(res.empty, res.off),
  };
  const line = (name, xs) => {
    const ci = bootstrapMedianCI(xs);
    const { min, max } = range(xs);
    return `${name.padEnd(46)}${median(xs).toFixed(2).padStart(8)}   ${span(ci.low, ci.high).padEnd(11)}  ${span(min, max)}`;
  };
  /** Met, not met, or not resolved: whether the median's 95 % interval lies wholly on one side of the target. */
  const verdict = (xs, target) => {
    const ci = bootstrapMedianCI(xs);
    const m = median(xs) >= target ? 'met' : 'NOT met';
    return ci.low >= target || ci.high < target
      ? `${m} (95 % CI ${span(ci.low, ci.high)})`
      : `${m} by the median, not resolved (95 % CI ${span(ci.low, ci.high)} holds ${target})`;
  };
  console.log(
    `\nbench/overlay: iperf3 TCP ${SECONDS} s after ${OMIT} s left out, ${ROUNDS} interleaved rounds, lab hosts h1 <- h2 ` +
      `(counters: ${res.source}; load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')})\n`,
  );
  console.log(`${''.padEnd(46)}  median   95 % CI      range`);
  console.log(line('underlay, Gbit/s', res.underlay));
  console.log(line('bare kernel VXLAN, Gbit/s', res.vxlan));
  console.log(line('overlay (fast path), counters on, Gbit/s', res.on));
  console.log(line('overlay (fast path), counting off, Gbit/s', res.off));
  console.log(line('bridge layout (no BPF), counters on, Gbit/s', res['bridge-on']));
  console.log(line('bridge layout (no BPF), counters off, Gbit/s', res['bridge-off']));
  if (STATS) console.log(line('overlay, counters on, BPF statistics on, Gbit/s', res.measured));
  if (OFFLOAD) console.log(line('overlay, counters on, offloads on, Gbit/s', res.offload));
  if (EMPTY) console.log(line('overlay, empty programs on the hooks, Gbit/s', res.empty));
  for (const f of FAST) console.log(line(`overlay, ${f}, Gbit/s`, res[f]));
  console.log('per-round ratios:');
  console.log(line('  bare VXLAN / underlay', r.vxlanU));
  console.log(line('  overlay on / underlay', r.onU));
  console.log(line('  overlay on / bare VXLAN (target >= 0.97)', r.onV));
  console.log(line('  overlay on / overlay off (target >= 0.98)', r.onOff));
  console.log(line('  overlay off / bare VXLAN', r.offV));
  if (STATS) console.log(line('  on with BPF statistics / on without', r.measuredOn));
  if (OFFLOAD) console.log(line('  on with offloads / on without', r.offloadOn));
  if (EMPTY) console.log(line('  empty programs / off (the hooks)', r.emptyOff));
  if (EMPTY) console.log(line('  on / empty programs (our work)', r.onEmpty));
  console.log(line('  bridge layout on / bare VXLAN', ratio(res['bridge-on'], res.vxlan)));
  console.log(line('  bridge layout on / off', ratio(res['bridge-on'], res['bridge-off'])));
  console.log(line('  bridge layout off / bare VXLAN', ratio(res['bridge-off'], res.vxlan)));
  console.log(line('  overlay on / bridge layout on', ratio(res.on, res['bridge-on'])));
  for (const f of FAST) console.log(line(`  ${f} / bare VXLAN`, ratio(res[f], res.vxlan)));
  for (const f of FAST) console.log(line(`  ${f} / overlay on`, ratio(res[f], res.on)));
  console.log(`targets: on/ceiling ${verdict(r.onV, 0.97)}; on/off ${verdict(r.onOff, 0.98)}`);
  // Where the counters' cost goes: our programs' own time over the on rounds' wall time, both hosts.
  const { progs, seconds } = res.cost;
  const ns = PROGS.reduce((n, p) => n + progs[p].ns, 0);
  const runs = PROGS.reduce((n, p) => n + progs[p].runs, 0);
  const core = (ns / 1e9 / seconds) * 100;
  console.log(
    `counters' own time in the statistics runs (kernel BPF statistics, both hosts, ${seconds.toFixed(0)} s): ` +
      `${core.toFixed(2)} % of a core (${(core / availableParallelism()).toFixed(2)} % of the machine's ` +
      `${availableParallelism()}), ${(runs / seconds / 1000).toFixed(1)} k runs/s, ${(ns / runs).toFixed(0)} ns per run`,
  );
  for (const p of PROGS)
    console.log(
      `  ${p.padEnd(17)} ${(progs[p].runs / seconds / 1000).toFixed(1).padStart(7)} k packets/s  ` +
        `${(progs[p].ns / Math.max(1, progs[p].runs)).toFixed(0).padStart(5)} ns per run`,
    );
  console.log(
    `agent CPU while the overlay carries traffic (counters on): ${agentCpu.toFixed(1)} % of a core per agent`,
  );
}

/** The connect rounds' report: connect to the first cross-host ping, 3 hosts (median) and 10 hosts. */
export function printConnect(c3, c10) {
  console.log(
    `\ntime from connect to first cross-host ping: 3 hosts ${median(c3).toFixed(0)} ms (median of ${c3.length}), 10 hosts ${c10[0].toFixed(0)} ms`,
  );
  console.log(
    `targets: 3 hosts < 1 s (${median(c3) < 1000 ? 'met' : 'NOT met'}); 10 hosts < 3 s (${c10[0] < 3000 ? 'met' : 'NOT met'})`,
  );
}
