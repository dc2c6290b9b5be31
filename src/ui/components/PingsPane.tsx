import { Text } from 'ink';
import { sparkline } from '../model/chart.js';
import { fit, scrollOffset } from '../model/layout.js';
import type { Feature, PingCheckRow } from '../state/model.js';
import type { Theme } from '../theme/tokens.js';
import { Message } from './Message.js';

export interface PingsPaneProps {
  pings: Feature<PingCheckRow[]>;
  rows: PingCheckRow[];
  selected: number;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
}

/** Ping checks: source -> target, last RTT, loss, and a small RTT history. */
export function PingsPane({ pings, rows, selected, focused, width, height, theme }: PingsPaneProps) {
  if (!pings.available) return <Message text={pings.reason} width={width} lines={height} theme={theme} />;
  if (rows.length === 0)
    return <Message text="no ping checks yet: p adds one" width={width} lines={height} theme={theme} />;
  const e = theme.glyph.ellipsis;
  const path = Math.max(12, Math.floor(width * 0.45));
  const hist = Math.max(4, width - path - 8 - 6 - 3);
  const visible = height;
  const start = scrollOffset(selected, visible, rows.length);
  return (
    <>
      {rows.slice(start, start + visible).map((p, i) => (
        <Text key={`${p.source}>${p.target}`} wrap="truncate" inverse={focused && start + i === selected}>
          {fit(`${p.source} ${theme.glyph.arrow} ${p.target}`, path, e)}{' '}
          {(p.lastRttMs === null ? 'lost' : `${p.lastRttMs.toFixed(1)}ms`).padStart(8)}{' '}
          <Text color={p.loss > 0 ? theme.color.error : undefined}>
            {`${Math.round(p.loss * 100)}%`.padStart(5)}
          </Text>{' '}
          {sparkline(
            p.history.map((h) => h ?? 0),
            hist,
            theme.glyph.spark,
          )}
        </Text>
      ))}
    </>
  );
}
