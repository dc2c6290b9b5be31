import { Box } from 'ink';
import { displayKey, footerCommands, keyFor, type KeyBindings } from '../keys/keyBindings.js';
import { layoutFor, rowHeight, type PaneBox } from '../compute/layout.js';
import { PANE_TITLE } from '../compute/panes.js';
import { containerRate, type Rate } from '../compute/rates.js';
import type { UIState } from '../state/model.js';
import {
  containerRows,
  peerRows,
  peersTitleInfo,
  pingRows,
  rowCount,
  selectedIndex,
  trafficRows,
} from '../state/rows.js';
import type { Theme } from '../theme/tokens.js';
import { Banner } from './Banner.js';
import { ContainersPane } from './ContainersPane.js';
import { Dialog, dialogHints } from './Dialog.js';
import { EventLine } from './EventLine.js';
import { Footer } from './Footer.js';
import { Header } from './Header.js';
import { PaneFrame } from './PaneFrame.js';
import { PeersPane } from './PeersPane.js';
import { PingsPane } from './PingsPane.js';
import { TooSmall } from './TooSmall.js';
import { TrafficPane } from './TrafficPane.js';

export interface ScreenProps {
  state: UIState;
  cols: number;
  rows: number;
  theme: Theme;
  bindings: KeyBindings;
}

export function clockOf(minute: number): string {
  const d = new Date(minute * 60_000);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function Pane({
  box,
  s,
  theme,
  bindings,
}: {
  box: PaneBox;
  s: UIState;
  theme: Theme;
  bindings: KeyBindings;
}) {
  const focused = s.focus === box.pane;
  const filter = s.filters[box.pane];
  const editing = focused && s.editingFilter;
  // Peers says the mesh's summary (49/49 alive, 48 reachable, ...) where the others count their rows.
  const n = box.pane === 'peers' ? 0 : rowCount(s, box.pane);
  const typed = filter || editing ? `/${filter}${editing ? '_' : ''}` : '';
  // Room after `── Peers `, the filter and the closing rule.
  const room = box.width - PANE_TITLE.peers.length - typed.length - 8;
  const count = box.pane === 'peers' ? peersTitleInfo(s, room) : n ? `(${n})` : '';
  // The peers' summary runs long at 80 columns: the filter being typed goes before it, where it is seen.
  const info = (box.pane === 'peers' ? [typed, count] : [count, typed]).filter(Boolean).join(' ');
  const common = {
    selected: selectedIndex(s, box.pane),
    focused,
    width: box.width - 1,
    height: box.height - 1,
    theme,
  };
  let body;
  switch (box.pane) {
    case 'containers': {
      const rates = new Map<string, Rate>();
      for (const c of s.containers) {
        const r = c.attachment && containerRate(s.traffic.rates.get(c.attachment.hostIfname));
        // dockerd's own containers on a LAN bridge (bridge driver): the kernel counters' newest second.
        const counted = c.attachment ? undefined : s.split.containers.get(c.name)?.at(-1);
        if (r) rates.set(c.name, r);
        else if (counted && c.running) rates.set(c.name, { rx: counted.rx.bytes, tx: counted.tx.bytes });
      }
      body = <ContainersPane rows={containerRows(s)} rates={rates} filter={filter} {...common} />;
      break;
    }
    case 'traffic':
      body = (
        <TrafficPane
          rows={trafficRows(s)}
          unavailable={s.traffic.unavailable}
          notes={s.peerRates.available ? [] : [s.peerRates.reason]}
          now={s.traffic.last?.at ?? 0}
          {...common}
        />
      );
      break;
    case 'peers':
      body = (
        <PeersPane
          router={s.router}
          pmtu={s.pmtu}
          rows={peerRows(s)}
          bindings={bindings}
          now={s.routerAt}
          {...common}
        />
      );
      break;
    case 'pings':
      body = <PingsPane pings={s.pings} rows={pingRows(s)} bindings={bindings} {...common} />;
      break;
  }
  return (
    <PaneFrame
      title={PANE_TITLE[box.pane]}
      info={info}
      focused={focused}
      width={box.width}
      height={box.height}
      theme={theme}
    >
      {body}
    </PaneFrame>
  );
}

/** The whole frame, from state and terminal size alone: what the frame tests render. */
export function Screen({ state: s, cols, rows, theme, bindings }: ScreenProps) {
  const banner = s.connection.state !== 'up';
  const fitted = layoutFor(cols, rows, banner);
  if (!fitted.fits)
    return <TooSmall need={fitted.need} cols={cols} rows={rows} quit={keyFor(bindings, 'quit')} />;
  const { layout } = fitted;
  const bodyHeight = layout.body.reduce((h, row) => h + rowHeight(row), 0);
  const arrows = theme.name !== 'plain';
  const hints: [string, string][] = s.dialog
    ? dialogHints(s.dialog, theme, bindings)
    : s.editingFilter
      ? [
          ['type', 'to filter'],
          [keyFor(bindings, 'confirm', arrows), 'keep'],
          [keyFor(bindings, 'cancel', arrows), 'clear'],
        ]
      : [
          [keyFor(bindings, 'nextPane', arrows), 'pane'],
          ...footerCommands(bindings, s.focus).map(
            (c) =>
              [bindings[c].keys.map((k) => displayKey(k, arrows))[0]!, bindings[c].label] as [string, string],
          ),
        ];
  const attached = s.containers.filter((c) => c.attachment).length;
  return (
    <Box flexDirection="column" width={cols} height={layout.rows}>
      <Header
        host={s.host}
        status={s.status}
        connection={s.connection}
        router={s.router}
        attached={attached}
        containers={s.containers.length}
        clock={clockOf(s.minute)}
        width={cols}
        theme={theme}
      />
      {banner ? <Banner connection={s.connection} width={cols} theme={theme} /> : null}
      <Box flexDirection="column" height={bodyHeight}>
        {layout.body.map((row, i) => (
          <Box key={i} flexDirection="row" height={rowHeight(row)}>
            {row.map((column, j) => (
              <Box key={j} flexDirection="column">
                {column.map((box) => (
                  <Pane key={box.pane} box={box} s={s} theme={theme} bindings={bindings} />
                ))}
              </Box>
            ))}
          </Box>
        ))}
        {s.dialog ? (
          <Dialog
            state={s}
            dialog={s.dialog}
            bindings={bindings}
            theme={theme}
            width={cols}
            height={bodyHeight}
          />
        ) : null}
      </Box>
      <EventLine event={s.events[s.events.length - 1]} width={cols} theme={theme} />
      <Footer hints={hints} width={cols} theme={theme} />
    </Box>
  );
}
