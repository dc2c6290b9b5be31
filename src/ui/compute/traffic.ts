import type { ProtocolCounts } from '../../api/telemetry.js';
import { Protocol } from '../../api/telemetry.js';

/** `12 p/s`, as `status rates` prints packets; `-` when nothing counts them. */
export function formatPackets(perSecond: number | undefined): string {
  return perSecond === undefined ? '-' : `${Math.round(perSecond)} p/s`;
}

/**
 * The protocol split of one second in a few characters: each protocol that carried packets, by its share of
 * the packets, largest first (`icmp 60% tcp 40%`); `idle` for a second without any; the reason when there
 * is no split at all (interface counters count totals only).
 */
export function splitText(p: ProtocolCounts | { none: string }): string {
  if ('none' in p) return p.none;
  const total = Protocol.options.reduce((n, k) => n + p[k].packets, 0);
  if (total === 0) return 'idle';
  return Protocol.options
    .filter((k) => p[k].packets > 0)
    .sort((a, b) => p[b].packets - p[a].packets)
    .map((k) => {
      const pct = Math.round((p[k].packets / total) * 100);
      return `${k} ${pct === 0 ? '<1' : pct}%`;
    })
    .join(' ');
}

/** The largest value of any series, or 0: the one scale a chart (or a pane of charts) is drawn against. */
export function scaleOf(...series: readonly (readonly (number | undefined)[])[]): number {
  let top = 0;
  for (const s of series) for (const v of s) if (v !== undefined && v > top) top = v;
  return top;
}

/**
 * How many lines each Traffic row gets: one (a sparkline) until every row can have a header line and a chart
 * of at least two lines, then as tall as the pane allows, up to `max`. Only a UTF-8 theme draws braille.
 */
export function rowHeight(lines: number, rows: number, braille: boolean, max = 8): number {
  if (!braille || rows === 0) return 1;
  const h = Math.min(max, Math.floor(lines / rows));
  return h >= 3 ? h : 1;
}
