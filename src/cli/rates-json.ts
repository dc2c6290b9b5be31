import type { RateSample, RatesNow, RatesResult } from '../api/rates.js';

const lastOf = (series: readonly RateSample[]): RateSample | null => series.at(-1) ?? null;

/** `status rates --json` without --series: each row's last complete second in place of its series. */
export function ratesNow(r: RatesResult): RatesNow {
  return {
    at: r.at,
    source: r.source,
    counters: r.counters,
    bridge: lastOf(r.bridge),
    containers: r.containers.map(({ series, ...c }) => ({ ...c, last: lastOf(series) })),
    peers: r.peers.map(({ series, ...p }) => ({ ...p, last: lastOf(series) })),
    ...(r.others ? { others: r.others.map(({ series, ...o }) => ({ ...o, last: lastOf(series) })) } : {}),
  };
}
