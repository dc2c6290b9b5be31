import type { PingProbe } from '../api/telemetry.js';
import {
  planPayload,
  scopedTarget,
  type PeerProber,
  type PeerReading,
  type ProbePlan,
} from '../router/data-plane.js';
import { currentState, record, staleAfter } from './check-state.js';
import { FirstAnswers } from './first-answers.js';
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
export function probePeriods(peers: number, perSecond = PEER_PROBES_PER_SECOND): Record<ProbeSize, number> {
  const small = Math.max(PEER_PROBE_INTERVAL_MS, Math.ceil((peers * 1000) / perSecond));
  return { small, full: small === PEER_PROBE_INTERVAL_MS ? small : 2 * small };
}

/**
 * The fast lane's rate cap: peers that joined while the loops ran, and peers that have not answered yet, are
 * probed by a loop of their own at up to this many probes a second, until they answer and the lane folds into
 * the main loops. At 49 peers the main loop comes back to a peer every 2.45 s: a new peer whose first probe went
 * out before it had programmed its way back waited that long for the next, and restarting both loops for every
 * join restarted every other peer's probes too. 100 a second was twice the probes, and the fping CPU, of a
 * 50-host chain, when every lane held every peer that joined after its host (see FOLD_ANSWERED).
 */
export const FAST_PROBES_PER_SECOND = 40;
/**
 * The fast lane folds into the main loops when every one of its peers answered and no plan came for this long.
 * A fold restarts both main loops (two processes, each a fork of the agent): 3 s folded in every pause of a
 * mesh forming at a join every 2-3 s, on every host.
 */
export const MERGE_QUIET_MS = 6_000;
/** ... or after this long whatever answered: a peer that never answers goes back to the main loops' rate. */
export const FAST_LANE_MAX_MS = 30_000;
/**
 * ... or, while the plan keeps changing, when a lane restarting for a new peer holds this many answered ones.
 * A mesh forming at a join every second or two is never quiet for MERGE_QUIET_MS: every host's lane grew to
 * every peer that joined after it, re-probed all at once at each restart and then at the cap, about 40 probes a
 * second per host for the whole chain. Folding at 8 costs both main loops' restart (two processes) once per 8
 * joins, and keeps a lane at a few peers, probed every 500 ms.
 */
export const FOLD_ANSWERED = 8;

/**
 * Whether a plan change is taken by the fast lane rather than by restarting the loops: only past 10 peers (up to
 * 10 both loops probe every 500 ms anyway, and a change restarts them as before), with the same probe point and
 * MTU, while the main loops run. Pure.
 */
export function usesFastLane(running: ProbePlan | undefined, next: ProbePlan): boolean {
  return (
    running !== undefined &&
    running.mtu === next.mtu &&
    JSON.stringify(running.point) === JSON.stringify(next.point) &&
    probePeriods(next.targets.length).small > PEER_PROBE_INTERVAL_MS
  );
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
  /** The plan the main loops run (its targets may lag #plan's: the fast lane has the new ones). */
  #main: ProbePlan | undefined;
  #loops = new Map<ProbeSize, Loop>();
  /** The fast lane: its loops, its targets, since when it runs; the last plan change, for the merge. */
  #fast = new Map<ProbeSize, Loop>();
  #fastTargets: string[] = [];
  #fastSince = 0;
  #changedAt = 0;
  #mergeTimer: NodeJS.Timeout | undefined;
  #fastRestart: NodeJS.Timeout | undefined;
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
  listen(fn: (size: ProbeSize, p: FpingLine) => void): () => void {
    this.#listeners.push(fn);
    return () => void (this.#listeners = this.#listeners.filter((f) => f !== fn));
  }

  /** Probes what `next` says (idempotent: an unchanged plan keeps the loops); undefined stops them. */
  plan(next: ProbePlan | undefined): void {
    const wanted =
      next && next.targets.length > 0 ? { ...next, targets: [...next.targets].sort() } : undefined;
    if (same(wanted, this.#plan)) return;
    for (const t of this.#seen.keys()) if (!wanted?.targets.includes(t)) this.#seen.delete(t);
    const now = Date.now();
    this.#plannedAt.plan(wanted?.targets ?? [], this.#plan?.targets, now);
    if (wanted && usesFastLane(this.#main, wanted)) {
      this.#plan = wanted;
      this.#changedAt = Date.now();
      this.#laneFor(wanted.targets.filter((t) => !this.#main!.targets.includes(t)));
      return;
    }
    this.#stopLoops();
    this.#plan = wanted;
    this.#main = undefined;
    if (wanted) this.#restartMain(wanted);
  }

  /**
   * Adds `targets` to the fast lane (restarting only its loop); the merge timer folds it in later, or this does
   * now when the lane holds FOLD_ANSWERED answered peers.
   */
  #laneFor(targets: string[]): void {
    const plan = this.#plan;
    if (!plan) return;
    if (this.#fastTargets.filter((t) => !this.#plannedAt.waiting(t)).length >= FOLD_ANSWERED)
      return this.#fold(plan);
    const next = [...new Set([...this.#fastTargets, ...targets])]
      .filter((t) => plan.targets.includes(t))
      .sort();
    if (next.join() !== this.#fastTargets.join()) {
      if (this.#fastTargets.length === 0) this.#fastSince = Date.now();
      this.#fastTargets = next;
      this.#stopFast();
      const lane = { ...plan, targets: next };
      const periods = probePeriods(next.length, FAST_PROBES_PER_SECOND);
      // Small probes only: reachable needs one answer, and the full-size verdict (MTU) waits for the main
      // loops; a full-size lane was a second process and a second probe stream on every host at every join.
      if (next.length > 0)
        this.#start(this.#fast, 'small', lane, { fping: undefined, restarts: 0 }, periods.small);
    }
    this.#mergeTimer ??= setInterval(() => this.#maybeMerge(), 500);
    this.#mergeTimer.unref();
  }

  /**
   * The main loops take the whole plan now, without waiting for a quiet mesh. The restart probes every peer at
   * once, the new ones too; a lane peer that has not answered yet stays in a lane of its own (a fold is not
   * giving up on it), and a new one that does not answer the restart's probe joins it as any unanswered peer.
   */
  #fold(plan: ProbePlan): void {
    const waiting = this.#fastTargets.filter((t) => this.#plannedAt.waiting(t));
    this.#stopFast();
    this.#fastTargets = [];
    this.#restartMain(plan);
    if (waiting.length > 0) this.#laneFor(waiting);
  }

  /** Both main loops restarted on `plan`. */
  #restartMain(plan: ProbePlan): void {
    for (const l of this.#loops.values()) void l.fping?.stop();
    this.#loops.clear();
    this.#main = plan;
    for (const size of ['small', 'full'] as const)
      this.#start(this.#loops, size, plan, { fping: undefined, restarts: 0 });
  }

  /** A main-loop peer that timed out and has never answered: it goes to the fast lane (past 10 peers). */
  #unanswered(target: string): void {
    if (!this.#main || probePeriods(this.#main.targets.length).small <= PEER_PROBE_INTERVAL_MS) return;
    // Only a peer new to the plan that has not answered yet: one that answered before and went silent (a
    // killed host) is the main loops' to call down, and one the lane gave up on stays with them.
    if (this.#fastTargets.includes(target) || !this.#plannedAt.waiting(target)) return;
    clearTimeout(this.#fastRestart);
    // Debounced: a round of timeouts (a peer set that joined together) makes one fast-lane start.
    const pending = [...(this.#pendingFast ?? []), target];
    this.#pendingFast = pending;
    this.#fastRestart = setTimeout(() => {
      this.#pendingFast = undefined;
      this.#laneFor(pending);
    }, 100);
    this.#fastRestart.unref();
  }

  #pendingFast: string[] | undefined;
  /** When each target came into the plan, until its first answer (logged: join -> reachable, on this side). */
  #plannedAt = new FirstAnswers();

  /**
   * Folds the fast lane in: when every one of its peers answered and the plan has been quiet, or after
   * FAST_LANE_MAX_MS. Peers the main loops probe already just leave the lane; new ones restart the main loops,
   * once for a whole burst of joins.
   */
  #maybeMerge(): void {
    const plan = this.#plan;
    const main = this.#main;
    const now = Date.now();
    const allAnswered = this.#fastTargets.every((t) => !this.#plannedAt.waiting(t));
    const quiet = now - this.#changedAt >= MERGE_QUIET_MS;
    const overdue = now - this.#fastSince >= FAST_LANE_MAX_MS && this.#fastTargets.length > 0;
    if (!plan || !main) return this.#endLane();
    const inMain = same(plan, main);
    if (inMain && (allAnswered || overdue)) return this.#endLane();
    if (!inMain && quiet && (allAnswered || overdue)) {
      this.#stopLoops();
      this.#restartMain(plan);
    }
  }

  #endLane(): void {
    // Given up on (FAST_LANE_MAX_MS without an answer): not taken into the lane again; its first answer is
    // still logged, as after the lane.
    this.#plannedAt.giveUp(this.#fastTargets);
    this.#stopFast();
    this.#fastTargets = [];
    clearInterval(this.#mergeTimer);
    this.#mergeTimer = undefined;
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

  /** The fping processes running now (tests count them): the two loops, and the fast lane's while it runs. */
  pids(): number[] {
    return [...this.#loops.values(), ...this.#fast.values()].flatMap((l) =>
      l.fping?.pid ? [l.fping.pid] : [],
    );
  }

  close(): void {
    this.#stopLoops();
    this.#plan = undefined;
    this.#main = undefined;
    this.#seen.clear();
    this.#plannedAt.clear();
  }

  #stopLoops(): void {
    for (const l of this.#loops.values()) void l.fping?.stop();
    this.#loops.clear();
    this.#endLane();
    clearTimeout(this.#fastRestart);
    this.#pendingFast = undefined;
  }

  #stopFast(): void {
    for (const l of this.#fast.values()) void l.fping?.stop();
    this.#fast.clear();
  }

  #start(
    loops: Map<ProbeSize, Loop>,
    size: ProbeSize,
    plan: ProbePlan,
    loop: Loop,
    intervalMs = probePeriods(plan.targets.length)[size],
  ): void {
    loops.set(size, loop);
    const byScoped = new Map(plan.targets.map((t) => [scopedTarget(t, plan.point.dev), t]));
    const main = loops === this.#loops;
    loop.fping = new FpingLoop({
      netns: plan.point.netns,
      iface: plan.point.dev,
      targets: [...byScoped.keys()],
      intervalMs,
      timeoutMs: TIMEOUT_MS,
      ...(size === 'full' ? { size: planPayload(plan) } : {}),
      onProbe: (p) => {
        if (loops.get(size) !== loop) return;
        const target = byScoped.get(p.target) ?? p.target;
        // A peer gone from the plan is still probed by the main loops until they next restart: not recorded.
        if (!this.#plan?.targets.includes(target)) return;
        const h = this.#seen.get(target) ?? { small: [], full: [] };
        this.#seen.set(target, h);
        if (main && size === 'small' && p.rttMs === null) this.#unanswered(target);
        const first =
          size === 'small' && p.rttMs !== null
            ? this.#plannedAt.answered(target, p.t, main ? 'main loop' : 'fast lane')
            : undefined;
        if (first) this.log(first);
        record(h[size], { t: p.t, rttMs: p.rttMs });
        for (const fn of this.#listeners) fn(size, p);
      },
      onExit: (code, stderr) => {
        if (loops.get(size) !== loop) return;
        loop.fping = undefined;
        loop.restarts++;
        this.log(`peer probes (${size}) exited (${stderr.split('\n').pop() || `exit ${code}`}); restarting`);
        // Back off a little when it keeps failing; a new plan in between replaces this loop.
        setTimeout(
          () => {
            if (loops.get(size) === loop) this.#start(loops, size, plan, loop, intervalMs);
          },
          Math.min(10_000, 500 * loop.restarts),
        ).unref();
      },
    });
  }
}
