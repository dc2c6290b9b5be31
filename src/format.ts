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
