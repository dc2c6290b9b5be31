import { Text } from 'ink';
import { fit, scrollOffset } from '../model/layout.js';
import type { Feature, PeerRow } from '../state/model.js';
import type { Theme } from '../theme/tokens.js';
import { Message } from './Message.js';

export interface PeersPaneProps {
  peers: Feature<PeerRow[]>;
  rows: PeerRow[];
  selected: number;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
}

/** Mesh peers: gossip state (Serf) and data-plane state (measured) side by side, since they can disagree. */
export function PeersPane({ peers, rows, selected, focused, width, height, theme }: PeersPaneProps) {
  if (!peers.available) return <Message text={peers.reason} width={width} lines={height} theme={theme} />;
  if (rows.length === 0)
    return <Message text="no peers yet: c connects one" width={width} lines={height} theme={theme} />;
  const e = theme.glyph.ellipsis;
  const w = { name: 10, nick: 10, addr: 15, gossip: 8 };
  const dp = Math.max(6, width - w.name - w.nick - w.addr - w.gossip - 4);
  const line = (c: string[]): string =>
    [
      fit(c[0]!, w.name, e),
      fit(c[1]!, w.nick, e),
      fit(c[2]!, w.addr, e),
      fit(c[3]!, w.gossip, e),
      fit(c[4]!, dp, e),
    ].join(' ');
  const visible = height - 1;
  const start = scrollOffset(selected, visible, rows.length);
  return (
    <>
      <Text color={theme.color.muted} wrap="truncate">
        {line(['NAME', 'NICKNAME', 'ADDRESS', 'GOSSIP', 'DATA PLANE'])}
      </Text>
      {rows.slice(start, start + visible).map((p, i) => (
        <Text
          key={p.name}
          wrap="truncate"
          inverse={focused && start + i === selected}
          color={p.gossip === 'alive' && p.dataPlane === 'ok' ? theme.color.ok : theme.color.warn}
        >
          {line([p.name, p.nickname, p.address, p.gossip, p.dataPlane])}
        </Text>
      ))}
    </>
  );
}
