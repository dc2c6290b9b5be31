/**
 * Figures as the operator reads them, the same in the TUI and the CLI: one rule per kind of figure, so a
 * rate or a round trip reads alike on the screen and in `xnet-tui status`. Pure.
 */

/**
 * `1.5 kB/s`, `12 MB/s`: decimal units as iftop and bandwhich print them, two or three significant figures
 * (one decimal under 10, none from 10 up), which fits the panes' narrow columns. `-` when there is none.
 */
export function formatRate(bytesPerSecond: number | undefined): string {
  if (bytesPerSecond === undefined) return '-';
  const units = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let v = bytesPerSecond;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} ${units[u]}` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** `0.13 ms`, `24 ms`: two decimals under 10 ms, none above; `-` before the first measurement. */
export function formatRtt(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(0)} ms`;
}

/**
 * How long ago `since` (ms since the epoch) was at `now`, as BGP's Up/Down column says it: `12s`, `4m`, `3h`,
 * `2d`, whole units rounded down (at most four characters for a year); `-` when the agent gave no time.
 */
export function formatSince(since: number | undefined, now: number): string {
  if (since === undefined) return '-';
  const s = Math.max(0, Math.floor((now - since) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
