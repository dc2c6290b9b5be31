import type { PingProbe } from '../api/telemetry.js';
import {
  planPayload,
  scopedTarget,
  type PeerProber,
  type PeerReading,
  type ProbePlan,
} from '../router/data-plane.js';
import { currentState, record, staleAfter } from './check-state.js';
import { FpingLoop, type FpingLine } from './fping.js';

export type { ProbePlan, ProbePoint } from '../router/data-plane.js';

/**
 * The data-plane probes of one host: two persistent `fping -l` loops from the driver's probe point to every
 * peer's probe address, one small and one full-size with don't-fragment. Every driver plans them (vxlan, weave,
 * ovs-gre, bridge), so no driver runs probes of its own. However many containers are attached,
 * these are the only automatic probe processes. The driver reads its Peers data-plane state here and telemetry
 * its automatic checks, from the same lines.
 */

export const PEER_PROBE_INTERVAL_MS = 500;
const TIMEOUT_MS = 450;
/**
 * Probes a second one small loop sends at most; the full-size loop half that. fping's CPU, and the kernel's for
 * the packets, follow the packet rate: at 49 peers every 500 ms, the two loops of 50 lab hosts were a third of
 * the 2-core machine. A peer is reachable from its first answer, which a loop sends as it starts, so a slower
 * period delays only the verdicts that need several probes (down after 3 lost).
 */
export const PEER_PROBES_PER_SECOND = 20;

/** Each loop's period for `peers` targets: both every 500 ms up to 10 peers, then slower so the rate stays put. */
export function probePeriods(peers: number): Record<ProbeSize, number> {
  const small = Math.max(PEER_PROBE_INTERVAL_MS, Math.ceil((peers * 1000) / PEER_PROBES_PER_SECOND));
  return { small, full: small === PEER_PROBE_INTERVAL_MS ? small : 2 * small };
}

export type ProbeSize = 'small' | 'full';

interface Loop {
  fping: FpingLoop | undefined;
  restarts: number;
}

const same = (a: ProbePlan | undefined, b: ProbePlan | undefined): boolean =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export class PeerProbes implements PeerProber {
  #plan: ProbePlan | undefined;
  #loops = new Map<ProbeSize, Loop>();
  #seen = new Map<string, Record<ProbeSize, PingProbe[]>>();
  #listeners: ((size: ProbeSize, p: FpingLine) => void)[] = [];

  constructor(private readonly log: (msg: string) => void) {}

  /** The plan in force (undefined: nothing probed). Its point is where the path MTU probe leaves from too. */
  get current(): ProbePlan | undefined {
    return this.#plan;
  }

  /** A target as fping names it in its lines: a link-local one scoped to the probe point's device. */
  scoped(target: string): string {
    return scopedTarget(target, this.#plan?.point.dev ?? '');
  }

  /** Every probe line, small or full-size, as it comes (telemetry's automatic checks). */
  listen(fn: (size: ProbeSize, p: FpingLine) => void): void {
    this.#listeners.push(fn);
  }

  /** Probes what `next` says (idempotent: an unchanged plan keeps the loops); undefined stops them. */
  plan(next: ProbePlan | undefined): void {
    const wanted =
      next && next.targets.length > 0 ? { ...next, targets: [...next.targets].sort() } : undefined;
    if (same(wanted, this.#plan)) return;
    this.#stopLoops();
    this.#plan = wanted;
    for (const t of this.#seen.keys()) if (!wanted?.targets.includes(t)) this.#seen.delete(t);
    if (!wanted) return;
    for (const size of ['small', 'full'] as const)
      this.#start(size, wanted, { fping: undefined, restarts: 0 });
  }

  /** Each loop's period now (they grow with the number of peers). */
  get periods(): Record<ProbeSize, number> {
    return probePeriods(this.#plan?.targets.length ?? 0);
  }

  /** How long each stream's last probe stays current: three of its periods. */
  get staleMs(): Record<ProbeSize, number> {
    const p = this.periods;
    return { small: staleAfter(p.small), full: staleAfter(p.full) };
  }

  /** What the two streams say about one peer now (`target` unscoped). */
  reading(target: string, now = Date.now()): PeerReading {
    const h = this.#seen.get(target);
    const last = h?.small[h.small.length - 1];
    const stale = this.staleMs;
    return {
      small: currentState(h?.small ?? [], now, null, stale.small),
      full: currentState(h?.full ?? [], now, null, stale.full),
      rttMs: last?.rttMs ?? null,
      checkedAt: last ? new Date(last.t).toISOString() : null,
    };
  }

  /** The fping processes running now (tests count them). */
  pids(): number[] {
    return [...this.#loops.values()].flatMap((l) => (l.fping?.pid ? [l.fping.pid] : []));
  }

  close(): void {
    this.#stopLoops();
    this.#plan = undefined;
    this.#seen.clear();
  }

  #stopLoops(): void {
    for (const l of this.#loops.values()) void l.fping?.stop();
    this.#loops.clear();
  }

  #start(size: ProbeSize, plan: ProbePlan, loop: Loop): void {
    this.#loops.set(size, loop);
    const byScoped = new Map(plan.targets.map((t) => [scopedTarget(t, plan.point.dev), t]));
    loop.fping = new FpingLoop({
      netns: plan.point.netns,
      iface: plan.point.dev,
      targets: [...byScoped.keys()],
      intervalMs: probePeriods(plan.targets.length)[size],
      timeoutMs: TIMEOUT_MS,
      ...(size === 'full' ? { size: planPayload(plan) } : {}),
      onProbe: (p) => {
        if (this.#loops.get(size) !== loop) return;
        const target = byScoped.get(p.target) ?? p.target;
        const h = this.#seen.get(target) ?? { small: [], full: [] };
        this.#seen.set(target, h);
        record(h[size], { t: p.t, rttMs: p.rttMs });
        for (const fn of this.#listeners) fn(size, p);
      },
      onExit: (code, stderr) => {
        if (this.#loops.get(size) !== loop) return;
        loop.fping = undefined;
        loop.restarts++;
        this.log(`peer probes (${size}) exited (${stderr.split('\n').pop() || `exit ${code}`}); restarting`);
        // Back off a little when it keeps failing; a new plan in between replaces this loop.
        setTimeout(
          () => {
            if (this.#loops.get(size) === loop && this.#plan === plan) this.#start(size, plan, loop);
          },
          Math.min(10_000, 500 * loop.restarts),
        ).unref();
      },
    });
  }
}
