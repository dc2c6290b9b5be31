import type { InterfaceCounters } from '../../api/interfaces.js';

/** One reading of every interface's counters. */
export interface CounterSample {
  at: number;
  interfaces: readonly InterfaceCounters[];
}

export interface Rate {
  /** Bytes per second received and sent by the interface. */
  rx: number;
  tx: number;
}

/** Samples kept: one a second, a minute of history. */
export const HISTORY = 60;

/**
 * Bytes/s per interface between two samples. An interface missing from either sample, a counter that went
 * backwards (device recreated) or a non-positive interval yields no rate rather than a made-up one.
 */
export function ratesBetween(prev: CounterSample, next: CounterSample): Map<string, Rate> {
  const out = new Map<string, Rate>();
  const seconds = (next.at - prev.at) / 1000;
  if (!(seconds > 0)) return out;
  const before = new Map(prev.interfaces.map((i) => [i.name, i]));
  for (const n of next.interfaces) {
    const p = before.get(n.name);
    if (!p) continue;
    const drx = n.rxBytes - p.rxBytes;
    const dtx = n.txBytes - p.txBytes;
    if (drx < 0 || dtx < 0) continue;
    out.set(n.name, { rx: drx / seconds, tx: dtx / seconds });
  }
  return out;
}

export interface Series {
  rx: number[];
  tx: number[];
  /** When each point was measured (ms since the epoch, agent clock). */
  at: number[];
}

/**
 * Appends one second of rates to each interface's history (at most HISTORY points). Interfaces with no rate
 * this time are dropped, so a detached container's line disappears instead of flat-lining.
 */
export function pushRates(
  history: ReadonlyMap<string, Series>,
  rates: ReadonlyMap<string, Rate>,
  at: number,
  max = HISTORY,
): Map<string, Series> {
  const out = new Map<string, Series>();
  for (const [name, r] of rates) {
    const old = history.get(name) ?? { rx: [], tx: [], at: [] };
    out.set(name, {
      rx: [...old.rx, r.rx].slice(-max),
      tx: [...old.tx, r.tx].slice(-max),
      at: [...old.at, at].slice(-max),
    });
  }
  return out;
}

/** Host veth `vx...` receives what the container sends: container rx is the host end's tx. */
export function containerRate(hostEnd: Rate | undefined): Rate | undefined {
  return hostEnd && { rx: hostEnd.tx, tx: hostEnd.rx };
}

export function last(values: readonly number[]): number | undefined {
  return values.length ? values[values.length - 1] : undefined;
}
