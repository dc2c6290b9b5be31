import type { PingCheck, PingProbe, PingState } from '../api/telemetry.js';

/** How a ping check's probes become its state, loss and RTT figures; pure. */

export const HISTORY_MS = 60_000;
export const WINDOW_SECONDS = 10;
/** Consecutive lost probes that make a check down (red). */
export const DOWN_AFTER = 3;
/** Consecutive answered probes that make it up (green) again. */
export const UP_AFTER = 2;

export function stateOf(history: readonly PingProbe[]): PingState {
  if (history.length === 0) return 'pending';
  const tail = (n: number) => history.slice(-n);
  if (history.length >= DOWN_AFTER && tail(DOWN_AFTER).every((p) => p.rttMs === null)) return 'down';
  const up = Math.min(UP_AFTER, history.length);
  if (tail(up).every((p) => p.rttMs !== null)) return 'up';
  return history.every((p) => p.rttMs === null) ? 'pending' : 'degraded';
}

/** No probe newer than this (six probe intervals): the check has no current samples. */
export const STALE_MS = 3_000;

/** Stale after three periods of a slower loop (the peer probes' grows with the mesh), never sooner than STALE_MS. */
export const staleAfter = (periodMs: number): number => Math.max(STALE_MS, 3 * periodMs);

/**
 * The state at `now`: from current samples only. A check that cannot run (`error`) is unknown, with or
 * without samples; no probe yet is pending; probes that stopped coming are unknown, never the last state.
 */
export function currentState(
  history: readonly PingProbe[],
  now: number,
  error: string | null,
  staleMs = STALE_MS,
): PingState {
  const last = history[history.length - 1];
  if (error !== null) return 'unknown';
  if (!last) return 'pending';
  if (now - last.t > staleMs) return 'unknown';
  return stateOf(history);
}

/** How long a check has been in its state, by the newest probe (the agent's clock), in whole seconds. */
export function secondsInState(c: { since: string; history: readonly PingProbe[] }): number | null {
  const last = c.history[c.history.length - 1];
  const since = Date.parse(c.since);
  if (!last || Number.isNaN(since)) return null;
  return Math.max(0, Math.round((last.t - since) / 1000));
}

export function windowOf(history: readonly PingProbe[], now: number): PingCheck['window'] {
  const inWindow = history.filter((p) => p.t > now - WINDOW_SECONDS * 1000);
  const rtts = inWindow.map((p) => p.rttMs).filter((r): r is number => r !== null);
  const sent = inWindow.length;
  return {
    seconds: WINDOW_SECONDS,
    sent,
    received: rtts.length,
    lossPct: sent === 0 ? 0 : round(((sent - rtts.length) / sent) * 100),
    rttMs:
      rtts.length === 0
        ? null
        : {
            min: Math.min(...rtts),
            avg: round(rtts.reduce((a, b) => a + b, 0) / rtts.length, 3),
            max: Math.max(...rtts),
          },
  };
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Appends a probe and forgets those older than a minute. */
export function record(history: PingProbe[], probe: PingProbe): void {
  history.push(probe);
  const cut = probe.t - HISTORY_MS;
  while (history.length > 0 && history[0]!.t <= cut) history.shift();
}
