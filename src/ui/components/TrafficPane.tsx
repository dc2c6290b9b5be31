import { Text } from 'ink';
import { Fragment } from 'react';
import { brailleLines } from '../compute/braille.js';
import { levelsOf, slotted } from '../compute/chart.js';
import { fit, scrollOffset } from '../compute/layout.js';
import { formatPackets, rowHeight, scaleOf, splitText } from '../compute/traffic.js';
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

/**
 * Bytes/s over the last minute per bridge, attached container and peer; newest on the right. Short panes draw
 * one sparkline per direction, all rows on the pane's one scale (printed in the title line). Where every row
 * gets three lines or more (and the terminal is UTF-8), each row is a line of figures (bytes/s, packets/s,
 * the protocol split, its own maximum) over braille line charts drawn against that maximum.
 */
export function TrafficPane(props: TrafficPaneProps) {
  const { rows, unavailable, notes, height, theme } = props;
  if (unavailable) return <Message text={unavailable} width={props.width} lines={height} theme={theme} />;
  const lines = Math.max(0, height - 1 - notes.length);
  const h = rowHeight(lines, rows.length, theme.name === 'default');
  return (
    <>
      {h === 1 ? (
        <Compact {...props} visible={lines} />
      ) : (
        <Tall {...props} visible={Math.floor(lines / h)} h={h} />
      )}
      {notes.map((n) => (
        <Text key={n} color={theme.color.muted} wrap="truncate">
          {n}
        </Text>
      ))}
    </>
  );
}

type Part = TrafficPaneProps & { visible: number };

const points = (r: TrafficRow, v: number[] | undefined, now: number, width: number) =>
  slotted(v ?? [], r.series?.at ?? [], now, width);

function Compact({ rows, now, selected, focused, width, theme, visible }: Part) {
  const label = Math.min(16, Math.max(10, Math.floor(width / 6)));
  const value = 9;
  const spark = Math.max(8, Math.floor((width - label - 2 * (4 + value + 1)) / 2));
  const e = theme.glyph.ellipsis;
  const start = scrollOffset(selected, visible, rows.length);
  const shown = rows.slice(start, start + visible);
  // One scale for the pane: 6 kB/s next to 2.8 MB/s must not both read as a full column.
  const top = scaleOf(
    ...shown.flatMap((r) => [points(r, r.series?.rx, now, spark), points(r, r.series?.tx, now, spark)]),
  );
  const full = theme.glyph.spark[theme.glyph.spark.length - 1];
  return (
    <>
      <Text color={theme.color.muted} wrap="truncate">
        {fit('', label, e)}
        {fit(`rx last 60 s`, spark + 4, e)}
        {fit('', value + 1, e)} {fit(`tx  ${full} = ${formatRate(top)}`, spark + 4 + value, e)}
      </Text>
      {rows.length === 0 ? (
        <Text color={theme.color.muted}>waiting for the second counter sample{theme.glyph.ellipsis}</Text>
      ) : null}
      {shown.map((r, i) => {
        const isSel = focused && start + i === selected;
        if (r.note && !r.series) {
          return (
            <Text key={r.id} wrap="truncate" inverse={isSel} color={theme.color.muted}>
              {fit(r.label, label, e)} {r.note}
            </Text>
          );
        }
        const chart = (v: number[] | undefined): string =>
          levelsOf(points(r, v, now, spark), theme.glyph.spark, top);
        return (
          <Text key={r.id} wrap="truncate" inverse={isSel}>
            {fit(r.label, label, e)}
            {'rx '}
            <Text color={theme.color.rx}>{chart(r.series?.rx)}</Text>
            {' ' + formatRate(r.rate?.rx ?? last(r.series?.rx ?? [])).padStart(value)}
            {'  tx '}
            <Text color={theme.color.tx}>{chart(r.series?.tx)}</Text>
            {' ' + formatRate(r.rate?.tx ?? last(r.series?.tx ?? [])).padStart(value)}
          </Text>
        );
      })}
    </>
  );
}

function Tall({ rows, now, selected, focused, width, theme, visible, h }: Part & { h: number }) {
  const e = theme.glyph.ellipsis;
  const label = Math.min(24, Math.max(10, Math.floor(width / 6)));
  const chart = Math.max(4, Math.floor((width - 2 - 3 - 3) / 2));
  const start = scrollOffset(selected, visible, rows.length);
  return (
    <>
      <Text color={theme.color.muted} wrap="truncate">
        {fit('  rx last 60 s', chart + 5, e)}
        {"   tx last 60 s, scale: the row's max"}
      </Text>
      {rows.slice(start, start + visible).map((r, i) => {
        const isSel = focused && start + i === selected;
        const head = `${fit(r.label, label, e)} `;
        if (r.note && !r.series) {
          return (
            <Fragment key={r.id}>
              <Text wrap="truncate" inverse={isSel} color={theme.color.muted}>
                {head + r.note}
              </Text>
              {Array.from({ length: h - 1 }, (_, j) => (
                <Text key={j}> </Text>
              ))}
            </Fragment>
          );
        }
        const rx = points(r, r.series?.rx, now, chart);
        const tx = points(r, r.series?.tx, now, chart);
        const top = scaleOf(rx, tx);
        // The protocol split gets its own line where the row is tall enough, so no figure is cut off.
        const own = h >= 4;
        const a = brailleLines(rx, chart, h - (own ? 2 : 1), top);
        const b = brailleLines(tx, chart, h - (own ? 2 : 1), top);
        const rate = (v: number | undefined, p: number | undefined) => `${formatRate(v)} ${formatPackets(p)}`;
        const figures =
          `rx ${rate(r.rate?.rx, r.packets?.rx)}  tx ${rate(r.rate?.tx, r.packets?.tx)}` +
          `  max ${formatRate(top)}${own ? '' : `  ${splitText(r.protocols)}`}`;
        return (
          <Fragment key={r.id}>
            <Text wrap="truncate">
              <Text inverse={isSel}>{head}</Text>
              {figures}
            </Text>
            {own ? (
              <Text wrap="truncate" color={theme.color.muted}>
                {' '.repeat(label + 1) + splitText(r.protocols)}
              </Text>
            ) : null}
            {a.map((line, j) => (
              <Text key={j} wrap="truncate">
                {j === 0 ? '  rx ' : '     '}
                <Text color={theme.color.rx}>{line}</Text>
                {j === 0 ? ' tx ' : '    '}
                <Text color={theme.color.tx}>{b[j]}</Text>
              </Text>
            ))}
          </Fragment>
        );
      })}
    </>
  );
}
