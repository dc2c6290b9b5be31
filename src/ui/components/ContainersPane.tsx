import { Text } from 'ink';
import type { ContainerRow } from '../../api/index.js';
import { fit, scrollOffset } from '../compute/layout.js';
import { formatRate } from '../../format.js';
import type { Rate } from '../compute/rates.js';
import type { Theme } from '../theme/tokens.js';
import { Message } from './Message.js';

export interface ContainersPaneProps {
  rows: ContainerRow[];
  /** Live rates seen from inside each container, by container name. */
  rates: ReadonlyMap<string, Rate>;
  selected: number;
  focused: boolean;
  width: number;
  height: number;
  filter: string;
  theme: Theme;
}

function stateOf(c: ContainerRow): string {
  // Another host claimed an address of this one first: the mesh forwards it there.
  if (c.attachment?.clash) return 'clash';
  if (c.attachment) return c.attachment.state === 'container-stopped' ? 'stopped' : c.attachment.state;
  return c.running ? 'running' : 'stopped';
}

/** Every container on the host; attached ones with interface, addresses and live rx/tx. */
export function ContainersPane({
  rows,
  rates,
  selected,
  focused,
  width,
  height,
  filter,
  theme,
}: ContainersPaneProps) {
  if (rows.length === 0) {
    const text = filter
      ? `no container matches "${filter}"`
      : 'no containers on this host (docker ps -a is empty)';
    return <Message text={text} width={width} lines={height} theme={theme} />;
  }
  const wide = width >= 110;
  const cols = wide
    ? { name: 16, image: 16, state: 9, iface: 6, host: 14, rate: 9 }
    : { name: 14, image: 0, state: 9, iface: 6, host: 0, rate: 9 };
  const fixed = cols.name + cols.image + cols.state + cols.iface + cols.host + 2 * cols.rate;
  const gaps = (wide ? 7 : 5) * 1;
  const addrWidth = Math.max(10, width - fixed - gaps);
  const e = theme.glyph.ellipsis;
  const line = (cells: [string, number, 'l' | 'r'][]): string =>
    cells
      .filter(([, w]) => w > 0)
      .map(([t, w, align]) => (align === 'r' ? fit(t, w, e).trimEnd().padStart(w) : fit(t, w, e)))
      .join(' ');
  const header = line([
    ['NAME', cols.name, 'l'],
    ['IMAGE', cols.image, 'l'],
    ['STATE', cols.state, 'l'],
    ['IFACE', cols.iface, 'l'],
    ['HOST IF', cols.host, 'l'],
    ['ADDRESSES', addrWidth, 'l'],
    ['RX/s', cols.rate, 'r'],
    ['TX/s', cols.rate, 'r'],
  ]);
  const visible = height - 1;
  const start = scrollOffset(selected, visible, rows.length);
  return (
    <>
      <Text color={theme.color.muted} wrap="truncate">
        {header}
      </Text>
      {rows.slice(start, start + visible).map((c, i) => {
        const a = c.attachment;
        const r = rates.get(c.name);
        const text = line([
          [c.name, cols.name, 'l'],
          [c.image, cols.image, 'l'],
          [stateOf(c), cols.state, 'l'],
          [a?.ifname ?? '-', cols.iface, 'l'],
          [a?.hostIfname ?? '-', cols.host, 'l'],
          [a ? a.cidrs.join(',') : '-', addrWidth, 'l'],
          [a || r ? formatRate(r?.rx) : '', cols.rate, 'r'],
          [a || r ? formatRate(r?.tx) : '', cols.rate, 'r'],
        ]);
        const isSel = start + i === selected;
        const color = a
          ? a.state === 'attached' && !a.clash
            ? theme.color.ok
            : theme.color.warn
          : c.running
            ? undefined
            : theme.color.muted;
        return (
          <Text key={c.id} wrap="truncate" inverse={isSel && focused} color={color}>
            {text}
          </Text>
        );
      })}
    </>
  );
}
