import type { PaneId } from '../compute/panes.js';
import { formatRate } from '../../format.js';
import { keyFor, type KeyBindings } from '../keys/keyBindings.js';
import type { UIState } from './model.js';
import { connectionText } from '../components/PeersPane.js';
import { containerRows, peerRows, pingRows, trafficRows, type TrafficRow } from './rows.js';
import { formatPackets, splitText } from '../compute/traffic.js';
import { duration, pingStateWord } from '../components/PingsPane.js';
import { secondsInState } from '../../telemetry/check-state.js';

/** The Enter view of one row: label/value pairs, pure so a frame test can pin them. */
export function detailsFor(
  s: UIState,
  pane: PaneId,
  row: string,
  bindings: KeyBindings,
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
                ...(a.state === 'drift' ? driftWhy(a.cidrs, a.live) : []),
                ...(a.clash ? [['clash', a.clash]] : []),
              ]
            : [['attachment', `none: ${keyFor(bindings, 'attach')} attaches it`]]) as [string, string][]),
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
          ['rx packets', formatPackets(t.packets?.rx)],
          ['tx packets', formatPackets(t.packets?.tx)],
          ['protocols', splitText(t.protocols)],
          ['samples', String(t.series?.rx.length ?? 0)],
          ['direction', DIRECTION[t.kind]],
          // The counters count packets by protocol only: fping's probes cannot be told from other ICMP.
          ['probes', "the ping checks' own probes are included (counted as icmp)"],
        ],
      };
    }
    case 'peers': {
      const p = peerRows(s).find((x) => x.name === row);
      if (!p) return { title: row, fields: [['', 'gone']] };
      const conn = s.router.available
        ? s.router.data.connections.find((c) => c.target.split(':')[0] === p.address)
        : undefined;
      return {
        title: `Peer ${p.name}${p.self ? ' (this host)' : ''}`,
        fields: [
          ['nickname', p.nickname],
          ['address', p.address],
          ['gossip', p.gossip],
          ['data plane', p.self ? 'this host' : p.dataPlane.state],
          ['rtt', p.dataPlane.rttMs === null ? '-' : `${p.dataPlane.rttMs} ms`],
          ['why', p.dataPlane.detail ?? '-'],
          ['checked at', p.dataPlane.checkedAt ?? '-'],
          [
            'connection',
            conn
              ? // The driver may give the same words as the data plane's "why": say them once.
                connectionText(conn.reason === p.dataPlane.detail ? { ...conn, reason: undefined } : conn)
              : 'not a connection target (known through gossip)',
          ],
        ],
      };
    }
    case 'pings': {
      const p = pingRows(s).find((x) => x.id === row);
      if (!p) return { title: row, fields: [['', 'gone']] };
      const w = p.window;
      // Down only because full-size packets fail (why): the small probes still answer.
      const answering = p.state === 'up' || p.state === 'degraded' || Boolean(p.why);
      return {
        title: `Ping ${p.label}`,
        fields: [
          [
            'state',
            `${pingStateWord(p)} since ${p.since}${p.error ? '' : ` (${duration(secondsInState(p) ?? 0)})`}`,
          ],
          [
            answering ? 'last rtt' : 'last answer',
            p.lastRttMs === null
              ? 'none yet'
              : `${p.lastRttMs} ms${answering ? '' : ' (before it stopped answering)'}`,
          ],
          [
            `last ${w.seconds} s`,
            w.sent === 0 ? 'no probes' : `${w.received}/${w.sent} answered, ${w.lossPct}% lost`,
          ],
          ['rtt min/avg/max', w.rttMs ? `${w.rttMs.min}/${w.rttMs.avg}/${w.rttMs.max} ms` : '-'],
          ...(p.fullSize
            ? ([
                [
                  'full size',
                  `${p.fullSize.packetBytes}-byte packets, don't-fragment: ${p.fullSize.state}, ${p.fullSize.window.lossPct}% lost over ${p.fullSize.window.seconds} s`,
                ],
              ] as [string, string][])
            : []),
          [
            'kind',
            p.kind === 'auto' ? 'automatic (host -> peer, small and full-size)' : 'added by an operator',
          ],
          ...(p.why ? ([['why', p.why]] as [string, string][]) : []),
          ...(p.error ? ([['error', p.error]] as [string, string][]) : []),
        ],
      };
    }
  }
}

/** Drift in words: what the kernel lacks or has besides, and the key that repairs it. */
export function driftWhy(want: readonly string[], live: readonly string[]): [string, string][] {
  const missing = want.filter((c) => !live.includes(c));
  const extra = live.filter((c) => !want.includes(c));
  const why = [
    missing.length ? `the kernel lacks ${missing.join(', ')}` : '',
    extra.length ? `it has ${extra.join(', ')} that attach did not ask for` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return [
    [
      'why',
      `${why || 'the interface differs from what attach made'}: the agent could not put it back (a restart or a hand edit?)`,
    ],
    ['fix', 'r re-attaches it with its addresses'],
  ];
}

/** Which way rx and tx read for each kind of Traffic row: the same words as `status rates`. */
const DIRECTION: Record<TrafficRow['kind'], string> = {
  bridge: "rx: delivered to this host's containers, tx: sent by them (as status rates)",
  container: 'seen from inside the container: rx delivered to it, tx sent by it',
  peer: 'rx: came from the peer, tx: sent to it (whole tunnel frames)',
};
