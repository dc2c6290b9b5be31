import { Text } from 'ink';
import { levelsOf, slotted } from '../compute/chart.js';
import { fit, scrollOffset } from '../compute/layout.js';
import { formatRate } from '../../format.js';
import { last } from '../compute/rates.js';
import type { TrafficRow } from '../state/rows.js';
import type { Theme } from '../theme/tokens.js';
import { Message } from './Message.js';

export interface TrafficPaneProps {
  rows: TrafficRow[];
  /** Why there are no counters at all. */
  unavailable: string | undefined;
  /** What is not measured yet (per peer). */
  notes: string[];
  /** When the newest counters were read: the chart's right edge. */
  now: number;
  selected: number;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
}

/** Bytes/s over the last minute per bridge and per attached container, as sparklines; newest on the right. */
export function TrafficPane({
  rows,
  unavailable,
  notes,
  now,
  selected,
  focused,
  width,
  height,
  theme,
}: TrafficPaneProps) {
  if (unavailable) return <Message text={unavailable} width={width} lines={height} theme={theme} />;
  const label = Math.min(16, Math.max(10, Math.floor(width / 6)));
  const value = 9;
  const spark = Math.max(8, Math.floor((width - label - 2 * (4 + value + 1)) / 2));
  const e = theme.glyph.ellipsis;
  const visible = Math.max(0, height - 1 - notes.length);
  const start = scrollOffset(selected, visible, rows.length);
  return (
    <>
      <Text color={theme.color.muted} wrap="truncate">
        {fit('', label, e)}
        {fit(`rx last 60 s`, spark + 4, e)}
        {fit('', value + 1, e)} {fit(`tx`, spark + 4, e)}
      </Text>
      {rows.length === 0 ? (
        <Text color={theme.color.muted}>waiting for the second counter sample{theme.glyph.ellipsis}</Text>
      ) : null}
      {rows.slice(start, start + visible).map((r, i) => {
        const isSel = focused && start + i === selected;
        if (r.note && !r.series) {
          return (
            <Text key={r.id} wrap="truncate" inverse={isSel} color={theme.color.muted}>
              {fit(r.label, label, e)} {r.note}
            </Text>
          );
        }
        const rx = r.series?.rx ?? [];
        const tx = r.series?.tx ?? [];
        const at = r.series?.at ?? [];
        const chart = (v: number[]): string => levelsOf(slotted(v, at, now, spark), theme.glyph.spark);
        return (
          <Text key={r.id} wrap="truncate" inverse={isSel}>
            {fit(r.label, label, e)}
            {'rx '}
            <Text color={theme.color.rx}>{chart(rx)}</Text>
            {' ' + formatRate(r.rate?.rx ?? last(rx)).padStart(value)}
            {'  tx '}
            <Text color={theme.color.tx}>{chart(tx)}</Text>
            {' ' + formatRate(r.rate?.tx ?? last(tx)).padStart(value)}
          </Text>
        );
      })}
      {notes.map((n) => (
        <Text key={n} color={theme.color.muted} wrap="truncate">
          {n}
        </Text>
      ))}
    </>
  );
}
