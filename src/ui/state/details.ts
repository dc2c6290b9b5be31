import type { PaneId } from '../model/panes.js';
import { formatRate } from '../model/rates.js';
import type { UIState } from './model.js';
import { containerRows, peerRows, pingRows, trafficRows } from './rows.js';

/** The Enter view of one row: label/value pairs, pure so a frame test can pin them. */
export function detailsFor(
  s: UIState,
  pane: PaneId,
  row: string,
): { title: string; fields: [string, string][] } {
  switch (pane) {
    case 'containers': {
      const c = containerRows({ ...s, filters: { ...s.filters, containers: '' } }).find(
        (x) => x.name === row,
      );
      if (!c) return { title: row, fields: [['', 'gone from the host']] };
      const a = c.attachment;
      return {
        title: `Container ${c.name}`,
        fields: [
          ['id', c.id.slice(0, 12)],
          ['image', c.image],
          ['status', c.status],
          ...((a
            ? [
                ['attachment', a.state],
                ['interface', `${a.ifname} (host end ${a.hostIfname})`],
                ['mac', a.mac ?? '-'],
                ['addresses', a.cidrs.join(', ')],
                ['in the kernel', a.live.join(', ') || 'none'],
              ]
            : [['attachment', 'none: a attaches it']]) as [string, string][]),
        ],
      };
    }
    case 'traffic': {
      const t = trafficRows({ ...s, filters: { ...s.filters, traffic: '' } }).find((x) => x.id === row);
      if (!t) return { title: row, fields: [['', 'gone']] };
      const peak = (v: number[] | undefined): string => formatRate(v?.length ? Math.max(...v) : undefined);
      return {
        title: `Traffic ${t.label}`,
        fields: [
          ['interface', t.ifname],
          ['rx now', formatRate(t.rate?.rx)],
          ['tx now', formatRate(t.rate?.tx)],
          ['rx peak 60 s', peak(t.series?.rx)],
          ['tx peak 60 s', peak(t.series?.tx)],
          ['samples', String(t.series?.rx.length ?? 0)],
          ...(t.kind === 'container'
            ? ([['note', 'seen from inside the container']] as [string, string][])
            : []),
        ],
      };
    }
    case 'peers': {
      const p = peerRows(s).find((x) => x.name === row);
      return p
        ? {
            title: `Peer ${p.name}`,
            fields: [
              ['nickname', p.nickname],
              ['address', p.address],
              ['gossip', p.gossip],
              ['data plane', p.dataPlane],
            ],
          }
        : { title: row, fields: [['', 'gone']] };
    }
    case 'pings': {
      const p = pingRows(s).find((x) => `${x.source}->${x.target}` === row);
      return p
        ? {
            title: `Ping ${p.source} -> ${p.target}`,
            fields: [
              ['last rtt', p.lastRttMs === null ? 'lost' : `${p.lastRttMs} ms`],
              ['loss', `${Math.round(p.loss * 100)}%`],
            ],
          }
        : { title: row, fields: [['', 'gone']] };
    }
  }
}
