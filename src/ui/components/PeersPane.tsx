import { Text } from 'ink';
import { formatRtt, formatSince } from '../../format.js';
import { peerSince } from '../../router/peer-since.js';
import { DEFAULT_DRIVER, describeDriver } from '../../router/descriptions.js';
import type { ConnectionStatus, RouterStatus } from '../../router/driver.js';
import { fit, scrollOffset } from '../compute/layout.js';
import type { Feature, PeerRow } from '../state/model.js';
import { keyFor, type KeyBindings } from '../keys/keyBindings.js';
import type { Theme } from '../theme/tokens.js';
import { Message } from './Message.js';
import { peerWhy } from '../compute/why.js';
import type { PmtuPeer } from '../../api/telemetry.js';

export interface PeersPaneProps {
  router: Feature<RouterStatus>;
  /** Telemetry's path MTU per peer, for the MTU to set. */
  pmtu: PmtuPeer[];
  rows: PeerRow[];
  selected: number;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
  bindings: KeyBindings;
  /** The time the SINCE column's ages are taken at (ms since the epoch). */
  now: number;
}

/** The SINCE column's width: its heading, and `59m`, `23h`, `365d`. */
const SINCE = 5;

/** A peer's data plane in one cell: this host, or the measured state and round trip. */
export function dataPlaneText(p: PeerRow, withRtt: boolean): string {
  if (p.self) return 'this host';
  const d = p.dataPlane;
  return withRtt && d.rttMs !== null ? `${d.state} ${formatRtt(d.rttMs)}` : d.state;
}

/** A connection target in one line: its state, how packets cross, and why, when the driver says. */
export function connectionText(c: ConnectionStatus): string {
  const how = [c.transport, c.encrypted === undefined ? undefined : c.encrypted ? 'encrypted' : 'plain']
    .filter(Boolean)
    .join(', ');
  const why = c.reason ?? c.error;
  return `to ${c.target}: ${c.state}${how ? ` (${how})` : ''}${why ? `: ${why}` : ''}`;
}

function notRunning(r: RouterStatus, launch: string): string {
  if (r.state === 'not-launched')
    return `router not launched: ${launch} launches it (${describeDriver(DEFAULT_DRIVER).summary})`;
  if (r.state === 'stopped')
    return `router stopped (${r.driver ?? '-'}): ${launch} launches it again with its settings`;
  return `router ${r.state} (${r.driver ?? '-'})…`;
}

/** Mesh peers: gossip state (Serf) and data-plane state (measured) side by side, since they can disagree. */
export function PeersPane({
  router,
  pmtu,
  rows,
  selected,
  focused,
  width,
  height,
  theme,
  bindings,
  now,
}: PeersPaneProps) {
  if (!router.available) return <Message text={router.reason} width={width} lines={height} theme={theme} />;
  const r = router.data;
  if (r.state !== 'running' && r.peers.length === 0)
    return (
      <Message text={notRunning(r, keyFor(bindings, 'launch'))} width={width} lines={height} theme={theme} />
    );
  const e = theme.glyph.ellipsis;
  // Wide: each state in its own column with the round trip, since and why; narrow (80x24): gossip/data plane in
  // one, and SINCE only where `alive/mtu-too-small` still fits beside it (it goes first).
  const wide = width >= 70;
  const nick = wide ? 10 : 7;
  const addr = wide ? 15 : 11;
  const rest = width - nick - addr - 2;
  const since = wide || rest >= 'alive/mtu-too-small'.length + 1 + SINCE;
  const line = (c: string[]): string =>
    (wide
      ? [
          fit(c[0]!, nick, e),
          fit(c[1]!, addr, e),
          fit(c[2]!, 7, e),
          fit(c[3]!, 22, e),
          fit(c[4]!, SINCE, e),
          fit(c[5]!, rest - 32 - SINCE, e),
        ]
      : since
        ? [
            fit(c[0]!, nick, e),
            fit(c[1]!, addr, e),
            fit(`${c[2]}/${c[3]}`, rest - SINCE - 1, e),
            fit(c[4]!, SINCE, e),
          ]
        : [fit(c[0]!, nick, e), fit(c[1]!, addr, e), fit(`${c[2]}/${c[3]}`, rest, e)]
    )
      .join(' ')
      .trimEnd();
  // Connections below the peers when there is room: targets that are not established say why.
  const trouble = r.connections.filter((c) => c.state !== 'established');
  const shown = wide ? r.connections : trouble;
  const peerLines = Math.max(1, height - 1 - Math.min(shown.length, Math.max(0, height - 1 - rows.length)));
  const start = scrollOffset(selected, peerLines, rows.length);
  const color = (p: PeerRow): string | undefined =>
    p.self || (p.gossip === 'alive' && p.dataPlane.state === 'reachable')
      ? theme.color.ok
      : p.dataPlane.state === 'unknown' && p.gossip === 'alive'
        ? undefined
        : theme.color.warn;
  return (
    <>
      <Text color={theme.color.muted} wrap="truncate">
        {wide
          ? line(['NICKNAME', 'ADDRESS', 'GOSSIP', 'DATA PLANE', 'SINCE', 'WHY'])
          : since
            ? line(['NICK', 'ADDRESS', 'GOSSIP', 'DATA PLANE', 'SINCE'])
            : fit(
                `NICK${' '.repeat(nick - 3)}ADDRESS${' '.repeat(addr - 6)}GOSSIP/DATA PLANE`,
                width,
                e,
              ).trimEnd()}
      </Text>
      {rows.length === 0 ? (
        <Text color={theme.color.muted}>no peers match</Text>
      ) : (
        rows.slice(start, start + peerLines).map((p, i) => (
          <Text key={p.name} wrap="truncate" inverse={focused && start + i === selected} color={color(p)}>
            {line([
              p.nickname,
              p.address,
              p.gossip,
              dataPlaneText(p, wide),
              formatSince(peerSince(p), now),
              peerWhy(p, pmtu, r),
            ])}
          </Text>
        ))
      )}
      {shown.slice(0, Math.max(0, height - 1 - Math.min(rows.length, peerLines))).map((c) => (
        <Text
          key={c.target}
          wrap="truncate"
          color={c.state === 'established' ? theme.color.muted : theme.color.warn}
        >
          {fit(connectionText(c), width, e).trimEnd()}
        </Text>
      ))}
    </>
  );
}
