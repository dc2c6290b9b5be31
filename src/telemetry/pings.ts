import type { NetnsPath } from '../net/netns.js';
import type { PingCheck, PingEvent, PingProbe, PingState } from '../api/telemetry.js';
import { currentState, record, stateOf, windowOf } from './check-state.js';
import { FpingLoop, type FpingLine } from './fping.js';
import { tooBig } from '../router/data-plane.js';
import type { DriverDescription } from '../router/description.js';
import { fullSizeWhy, peerCheckState } from './peer-verdict.js';

export const INTERVAL_MS = 500;
export const TIMEOUT_MS = 450;
const MAX_EVENTS = 100;

/** A check as wanted: where the probes leave from and where they go. */
export interface CheckDef {
  id: string;
  kind: 'user' | 'auto';
  /**
   * Source key: `host` or a container ID; with the namespace to run fping in, or why it cannot run. An
   * `external` source runs no fping of its own: its lines are fed in (the host's peer probes).
   */
  source: { key: string; name: string | null; netns: NetnsPath; error: string | null; external?: boolean };
  target: string;
  peer: string | null;
  label: string;
  /**
   * Full-size probes fed beside the small ones (automatic peer checks): the packet size they fill, and the
   * overlay MTU to set, read when shown (the path MTU probe's latest).
   */
  full?: { packetBytes: number; mtuToSet: () => number | null; driver: DriverDescription };
  /** When fed probes stop being current, small and full-size (the peer loops slow down as the mesh grows). */
  staleMs?: () => { small: number; full: number };
}

interface Live {
  def: CheckDef;
  history: PingProbe[];
  /** Full-size probes, for checks that have them. */
  full: PingProbe[];
  state: PingState;
  since: string;
  lastRttMs: number | null;
  error: string | null;
  /** When this check's fping (re)started: a target that never gets a line (fping cannot send to it) is reported. */
  started: number;
}

/** One check as the health watch compares it (PingChecks.states). */
export type CheckState = Pick<PingCheck, 'id' | 'label' | 'state' | 'error' | 'why'> & { lossPct: number };

const targetKey = (source: string, target: string): string => `${source}\n${target}`;

/** Probe intervals with no line at all for a target before the check says fping cannot probe it. */
const SILENT_AFTER = 6;

interface Source {
  netns: NetnsPath;
  targets: string[];
  loop: FpingLoop | undefined;
  error: string | null;
  restarts: number;
}

/**
 * Ping checks: one `fping -l` per source namespace probing all of that source's targets, each probe line
 * routed to the checks that share its target; state changes kept as events.
 */
export class PingChecks {
  #live = new Map<string, Live>();
  /**
   * The checks a probe line goes to, by source and target: every peer's line (about 30 a second per host at 50
   * peers) looked through every check before.
   */
  #byTarget = new Map<string, Live[]>();
  #sources = new Map<string, Source>();
  #events: PingEvent[] = [];

  constructor(private readonly log: (msg: string) => void) {}

  /** Makes the running checks and fping processes match `defs` (called every couple of seconds). */
  sync(defs: CheckDef[]): void {
    const wanted = new Map(defs.map((d) => [d.id, d]));
    for (const id of this.#live.keys()) if (!wanted.has(id)) this.#live.delete(id);
    const now = new Date().toISOString();
    for (const d of defs) {
      const live = this.#live.get(d.id);
      if (live) live.def = d;
      else
        this.#live.set(d.id, {
          def: d,
          history: [],
          full: [],
          state: 'pending',
          since: now,
          lastRttMs: null,
          error: null,
          started: Date.now(),
        });
    }
    this.#byTarget.clear();
    for (const l of this.#live.values()) {
      const k = targetKey(l.def.source.key, l.def.target);
      this.#byTarget.set(k, [...(this.#byTarget.get(k) ?? []), l]);
    }
    const bySource = new Map<string, CheckDef[]>();
    for (const d of defs) bySource.set(d.source.key, [...(bySource.get(d.source.key) ?? []), d]);
    for (const [key, src] of this.#sources) {
      if (!bySource.has(key)) {
        void src.loop?.stop();
        this.#sources.delete(key);
      }
    }
    for (const [key, list] of bySource) {
      const first = list[0]!.source;
      const targets = [...new Set(list.map((d) => d.target))].sort();
      const src = this.#sources.get(key);
      const same =
        src &&
        src.netns === first.netns &&
        src.targets.join(' ') === targets.join(' ') &&
        src.error === first.error;
      if (same && (src.loop || src.error || first.external)) continue;
      void src?.loop?.stop();
      const next: Source = {
        netns: first.netns,
        targets,
        loop: undefined,
        error: first.error,
        restarts: src?.restarts ?? 0,
      };
      this.#sources.set(key, next);
      for (const l of this.#live.values())
        if (l.def.source.key === key) Object.assign(l, { started: Date.now(), error: first.error });
      if (!first.error && !first.external) this.#startLoop(key, next);
    }
    for (const l of this.#live.values()) {
      const src = this.#sources.get(l.def.source.key);
      if (src?.error) l.error = src.error;
    }
  }

  /**
   * Ends the fping of one source (a container that died): it runs in the container's namespace and would keep
   * it, and its veth, alive. The next sync starts a new one where the container is now.
   */
  stopSource(key: string): Promise<void> {
    const src = this.#sources.get(key);
    if (!src) return Promise.resolve();
    this.#sources.delete(key);
    return src.loop?.stop() ?? Promise.resolve();
  }

  #startLoop(key: string, src: Source): void {
    src.loop = new FpingLoop({
      netns: src.netns,
      targets: src.targets,
      intervalMs: INTERVAL_MS,
      timeoutMs: TIMEOUT_MS,
      onProbe: (p) => this.feed(key, p),
      onExit: (code, stderr) => {
        if (this.#sources.get(key) !== src) return;
        src.loop = undefined;
        src.restarts++;
        const why =
          stderr
            .split('\n')
            .filter((l) => !/^ICMP /.test(l))
            .pop() ?? `exit ${code}`;
        this.log(`fping for ${key} exited (${why}); restarting`);
        for (const l of this.#live.values()) if (l.def.source.key === key) l.error = `fping exited: ${why}`;
        // Restarted by the next sync (the entry no longer has a loop); back off a little when it keeps failing.
        setTimeout(
          () => {
            if (this.#sources.get(key) === src && !src.loop) this.#startLoop(key, src);
          },
          Math.min(10_000, 500 * src.restarts),
        ).unref();
      },
    });
  }

  /** One probe line of a source: its own fping's, or fed from outside (`full`: a full-size probe). */
  feed(key: string, p: FpingLine, full = false): void {
    for (const l of this.#byTarget.get(targetKey(key, p.target)) ?? []) {
      if (full && !l.def.full) continue;
      l.error = null;
      record(full ? l.full : l.history, { t: p.t, rttMs: p.rttMs });
      if (!full && p.rttMs !== null) l.lastRttMs = p.rttMs;
      this.#become(l, this.#stateOf(l), p.t, l.lastRttMs);
    }
  }

  /** From the probes alone: the small ones', or down when only the (current) full-size ones are lost. */
  #stateOf(l: Live): PingState {
    const small = stateOf(l.history);
    return l.def.full ? peerCheckState(small, this.#fullState(l)) : small;
  }

  /**
   * The full-size probes' state; stale ones (their loop stopped) say nothing. With the check's error (as shown),
   * unknown while it cannot run; without (the verdicts), from the probes alone.
   */
  #fullState(l: Live, now = Date.now(), error: string | null = null): PingState {
    return currentState(l.full, now, error, l.def.staleMs?.().full);
  }

  /** Why a check with full-size probes is down when only those fail: the size and the MTU to set. */
  #why(l: Live): string | null {
    const f = l.def.full;
    if (!f || !tooBig(stateOf(l.history), this.#fullState(l))) return null;
    return fullSizeWhy(f.packetBytes, f.mtuToSet(), f.driver);
  }

  /** Moves a check to `next` at `t`, as an event; nothing when it is there already. */
  #become(l: Live, next: PingState, t: number, rttMs: number | null): void {
    if (next === l.state) return;
    const at = new Date(t).toISOString();
    const w = windowOf(l.history, t);
    const e: PingEvent = {
      at,
      checkId: l.def.id,
      label: l.def.label,
      from: l.state,
      to: next,
      lossPct: w.lossPct,
      detail:
        next === 'down'
          ? (this.#why(l) ?? `no answer to the last probes (${w.lossPct}% lost over ${w.seconds} s)`)
          : next === 'up'
            ? `answering, ${rttMs} ms`
            : next === 'unknown'
              ? `no probe since ${new Date(l.history[l.history.length - 1]?.t ?? t).toISOString()}${l.error ? `: ${l.error}` : ''}`
              : `${w.lossPct}% lost over ${w.seconds} s`,
    };
    this.#events.push(e);
    if (this.#events.length > MAX_EVENTS) this.#events.shift();
    if (l.state !== 'pending' || next === 'down')
      this.log(`ping ${l.def.label}: ${l.state} -> ${next} (${e.detail})`);
    l.state = next;
    l.since = at;
  }

  /** Probes that stopped coming change a check's state too, not only a probe that arrives. */
  #age(now: number): void {
    for (const l of this.#live.values()) {
      const current = currentState(l.history, now, l.error, l.def.staleMs?.().small);
      const next = current === 'unknown' || current === 'pending' ? current : this.#stateOf(l);
      if (next === 'unknown' || l.state === 'unknown') this.#become(l, next, now, l.lastRttMs);
    }
  }

  /**
   * What the health watch compares each second: every check's state, loss and reason, as checks() says them,
   * without the histories and full-size windows (at 50 peers, checks() each second was a tenth of an idle
   * agent's CPU with the path MTU's look, most of it copies for the garbage collector).
   */
  states(now = Date.now()): CheckState[] {
    this.#age(now);
    return [...this.#live.values()].map((l) => ({
      id: l.def.id,
      label: l.def.label,
      state: l.state,
      lossPct: windowOf(l.history, now).lossPct,
      error: this.#error(l, now),
      why: l.state === 'down' ? this.#why(l) : null,
    }));
  }

  /** The peers whose full-size probes are down now (the path MTU probes sooner for them). */
  fullSizeDown(now = Date.now()): string[] {
    const down: string[] = [];
    for (const l of this.#live.values())
      if (l.def.full && l.def.peer !== null && this.#fullState(l, now, l.error) === 'down')
        down.push(l.def.peer);
    return down;
  }

  checks(now = Date.now()): PingCheck[] {
    this.#age(now);
    return [...this.#live.values()].map((l) => ({
      id: l.def.id,
      kind: l.def.kind,
      from: l.def.source.name,
      target: l.def.target,
      peer: l.def.peer,
      label: l.def.label,
      state: l.state,
      since: l.since,
      lastRttMs: l.lastRttMs,
      window: windowOf(l.history, now),
      history: [...l.history],
      why: l.state === 'down' ? this.#why(l) : null,
      fullSize: l.def.full
        ? {
            packetBytes: l.def.full.packetBytes,
            state: this.#fullState(l, now, l.error),
            window: windowOf(l.full, now),
            mtuToSet: l.def.full.mtuToSet(),
          }
        : null,
      error: this.#error(l, now),
    }));
  }

  #error(l: Live, now: number): string | null {
    return (
      l.error ??
      (l.history.length === 0 && now - l.started > SILENT_AFTER * INTERVAL_MS
        ? `fping reports nothing for ${l.def.target}: it cannot send there (no route, or no IPv6 on the interface)`
        : null)
    );
  }

  check(id: string): PingCheck | undefined {
    return this.checks().find((c) => c.id === id);
  }

  events(): PingEvent[] {
    return [...this.#events];
  }

  close(): void {
    for (const s of this.#sources.values()) void s.loop?.stop();
    this.#sources.clear();
  }
}
