import { Text } from 'ink';
import { sparkline } from '../compute/chart.js';
import { fit, scrollOffset } from '../compute/layout.js';
import type { Feature, PingCheckRow } from '../state/model.js';
import { keyFor, type KeyBindings } from '../keys/keyBindings.js';
import type { Theme } from '../theme/tokens.js';
import { Message } from './Message.js';
import { formatRtt } from '../../format.js';

export interface PingsPaneProps {
  pings: Feature<PingCheckRow[]>;
  rows: PingCheckRow[];
  selected: number;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
  bindings: KeyBindings;
}

/** Ping checks: source -> target, state, last RTT, loss over the window, and the last minute's RTTs. */
export function PingsPane({
  pings,
  rows,
  selected,
  focused,
  width,
  height,
  theme,
  bindings,
}: PingsPaneProps) {
  if (!pings.available) return <Message text={pings.reason} width={width} lines={height} theme={theme} />;
  if (rows.length === 0)
    return (
      <Message
        text={`no ping checks yet: ${keyFor(bindings, 'addPing')} adds one`}
        width={width}
        lines={height}
        theme={theme}
      />
    );
  const e = theme.glyph.ellipsis;
  // At 80x24 the pane is 40 wide: the history goes (Enter shows the numbers), the path keeps its room.
  const hist = width >= 70 ? 20 : 0;
  const path = Math.max(12, width - 1 - 9 - 8 - 5 - (hist ? hist + 1 : 0));
  const start = scrollOffset(selected, height, rows.length);
  return (
    <>
      {rows.slice(start, start + height).map((p, i) => {
        const bad = p.state === 'down' || p.state === 'degraded';
        // Lost probes draw as the tallest bar: a gap in the answers should stand out, not vanish.
        const worst = Math.max(0, ...p.history.map((h) => h.rttMs ?? 0));
        const bars = p.history.map((h) => (h.rttMs === null ? worst * 1.5 || 1 : h.rttMs));
        return (
          <Text key={p.id} wrap="truncate" inverse={focused && start + i === selected}>
            {fit(p.label.replace(' -> ', ` ${theme.glyph.arrow} `), path, e)}{' '}
            <Text color={bad ? theme.color.error : p.state === 'up' ? theme.color.ok : undefined}>
              {fit(p.error ? 'error' : p.state, 8, e)}{' '}
            </Text>
            {(p.lastRttMs === null ? 'lost' : formatRtt(p.lastRttMs)).padStart(8)}
            <Text color={p.window.lossPct > 0 ? theme.color.error : undefined}>
              {`${Math.round(p.window.lossPct)}%`.padStart(5)}
            </Text>
            {hist ? ` ${sparkline(bars, hist, theme.glyph.spark)}` : ''}
          </Text>
        );
      })}
    </>
  );
}
