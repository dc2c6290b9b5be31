import { Text } from 'ink';
import { sparkline } from '../compute/chart.js';
import { fit, scrollOffset } from '../compute/layout.js';
import type { Feature, PingCheckRow } from '../state/model.js';
import { keyFor, type KeyBindings } from '../keys/keyBindings.js';
import type { Theme } from '../theme/tokens.js';
import { Message } from './Message.js';
import { formatRtt } from '../../format.js';
import { secondsInState } from '../../telemetry/check-state.js';

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

/** The one word a check's row and its details both use: its state, as `status pings --json` gives it. */
export function pingStateWord(p: PingCheckRow): string {
  return p.state;
}

/**
 * The figure beside the state, only ever from current samples: the last round trip while it answers, how
 * long it has been down (not the last good round trip), `-` when there is nothing current to show.
 */
export function pingFigure(p: PingCheckRow): string {
  if (noFigures(p)) return '-';
  // Only full-size packets fail: the overlay MTU to set is the figure that helps (`mtu ?` while measured).
  if (p.state === 'down' && p.why && p.fullSize?.state === 'down') return `mtu ${p.fullSize.mtuToSet ?? '?'}`;
  if (p.state === 'down') {
    const s = secondsInState(p);
    return s === null ? 'down' : `for ${duration(s)}`;
  }
  const last = p.history[p.history.length - 1];
  return last?.rttMs == null ? 'lost' : formatRtt(last.rttMs);
}

/** The loss to show: the full-size probes' when they are what fails, else the check's own. */
const lossOf = (p: PingCheckRow): number =>
  p.why && p.fullSize ? p.fullSize.window.lossPct : p.window.lossPct;

/** No current samples: no round trip and no loss to show. */
const noFigures = (p: PingCheckRow): boolean =>
  p.error !== null || p.state === 'unknown' || p.state === 'pending' || p.window.sent === 0;

/** 42s, 3m05s, 2h10m. */
export function duration(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
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
            <Text color={bad || p.error ? theme.color.error : p.state === 'up' ? theme.color.ok : undefined}>
              {fit(pingStateWord(p), 8, e)}{' '}
            </Text>
            {pingFigure(p).padStart(8)}
            <Text color={lossOf(p) > 0 ? theme.color.error : undefined}>
              {(noFigures(p) ? '-' : `${Math.round(lossOf(p))}%`).padStart(5)}
            </Text>
            {hist ? ` ${sparkline(bars, hist, theme.glyph.spark)}` : ''}
          </Text>
        );
      })}
    </>
  );
}
