// How the router's state is printed: the summary, the peers, connections and IPAM tables, the OVS section and
// the address table's clashes. Pure; split from router.ts (launch/connect/forget/stop/reset) because `status`
// prints them too, and they change with RouterStatus, not with the commands.
import { formatRtt, formatSince } from '../format.js';
import {
  addressTableOf,
  ipamOf,
  lanDetailsOf,
  ovsOf,
  type AddressClash,
  type AddressHolder,
  type RouterStatus,
} from '../router/driver.js';
import { peerMatches, peerSummary, sortPeers, summaryLine } from '../router/peer-summary.js';
import { peerSince } from '../router/peer-since.js';
import { lanSection } from './lan.js';
import { table } from './output.js';

/**
 * The summary line, then this host and the peers with trouble first; `filter` as the TUI's `/` filters. SINCE:
 * how long each has been as it is now, by the agent's clocks (`now` is when the status was read).
 */
export function peersTable(r: RouterStatus, filter = '', now = Date.now()): string {
  if (r.state !== 'running') return `router ${r.state}${r.driver ? ` (${r.driver})` : ''}: no peers`;
  const shown = sortPeers(r.peers.filter((p) => peerMatches(p, filter)));
  const head = `peers: ${summaryLine(peerSummary(r.peers))}`;
  if (shown.length === 0) return `${head}\nno peer matches "${filter}"`;
  const of = filter ? ` (${shown.filter((p) => !p.self).length} shown, filter "${filter}")` : '';
  return `${head}${of}\n${table(
    ['NAME', 'NICKNAME', 'ADDRESS', 'GOSSIP', 'DATA PLANE', 'RTT', 'SINCE', 'WHY'],
    shown.map((p) => [
      p.self ? `${p.name} (self)` : p.name,
      p.nickname,
      p.address,
      p.gossip,
      p.self ? '-' : p.dataPlane.state,
      p.self ? '-' : formatRtt(p.dataPlane.rttMs),
      formatSince(peerSince(p), now),
      p.self ? '' : (p.dataPlane.detail ?? ''),
    ]),
  )}`;
}

export function connectionsTable(r: RouterStatus): string {
  if (r.connections.length === 0) return 'no connection targets (xnet-tui connect PEER adds one)';
  // Drivers that can say how packets cross and why (Weave: fastdp or sleeve) get those columns.
  if (r.connections.some((c) => c.transport !== undefined || c.reason !== undefined))
    return table(
      ['TARGET', 'STATE', 'TRANSPORT', 'ENCRYPTED', 'WHY'],
      r.connections.map((c) => [
        c.target,
        c.state,
        c.transport ?? '-',
        c.encrypted === undefined ? '-' : c.encrypted ? 'yes' : 'no',
        c.reason ?? c.error ?? '',
      ]),
    );
  return table(
    ['TARGET', 'STATE', 'ERROR'],
    r.connections.map((c) => [c.target, c.state, c.error ?? '']),
  );
}

export function ipamTable(r: RouterStatus): string {
  const i = ipamOf(r);
  if (!i) return `no IPAM: the ${r.driver ?? 'router'} driver leaves addresses to you (xnet-tui attach CIDR)`;
  return [
    `range ${i.range} (${i.size} addresses, default subnet ${i.defaultSubnet}), ${i.active} in use here: ${i.status}`,
    table(
      ['PEER', 'NICKNAME', 'ADDRESSES', 'SHARE', 'REACHABLE'],
      i.owners.map((o) => [
        o.peer,
        o.nickname,
        String(o.ips),
        i.size ? `${((o.ips * 100) / i.size).toFixed(1)}%` : '-',
        o.reachable ? 'yes' : 'no',
      ]),
    ),
  ].join('\n');
}

/** Open vSwitch: the bridge, each GRE port with its remote, state and counters, and the routes. */
export function ovsSection(r: RouterStatus): string {
  const o = ovsOf(r);
  if (!o) return '';
  const ports =
    o.ports.length === 0
      ? 'no GRE ports (`xnet-tui connect PEER` adds one)'
      : table(
          [
            'PORT',
            'REMOTE',
            'PEER',
            'SUBNET',
            'LINK',
            'BFD',
            'RX PKTS',
            'TX PKTS',
            'RX BYTES',
            'TX BYTES',
            'ERROR',
          ],
          o.ports.map((p) => [
            p.name,
            p.remote,
            p.peer ?? '-',
            p.subnet ?? '-',
            p.linkState ?? '-',
            p.bfd ?? '-',
            String(p.rxPackets),
            String(p.txPackets),
            String(p.rxBytes),
            String(p.txBytes),
            p.error ?? '',
          ]),
        );
  const routes =
    o.routes.length === 0
      ? 'no routes to other hosts yet'
      : table(
          ['ROUTE', 'VIA', 'DEV', 'HOST'],
          o.routes.map((x) => [x.dst, x.via ?? '-', x.dev, x.peer ?? '-']),
        );
  return [
    `ovs          bridge ${o.bridge.name} ${o.bridge.present ? 'present' : 'missing'}${o.bridge.mtu ? ` (mtu ${o.bridge.mtu})` : ''}, ${o.datapath} datapath, ${o.daemons} daemons; ` +
      `${o.bridge.name} ${o.dockerBridge.plugged ? 'plugged into' : 'NOT plugged into'} ${o.dockerBridge.name} ${o.dockerBridge.address ?? ''}`.trimEnd(),
    `subnet       ${o.subnet ?? '-'}${o.underlayBridge ? `; underlay on OVS bridge ${o.underlayBridge}` : ''}`,
    ...o.tunnelRoutes.map((l) => `tunnel route ${l}`),
    '',
    ports,
    '',
    routes,
  ].join('\n');
}

export function routerSummary(r: RouterStatus): string {
  if (r.state === 'not-launched')
    return 'router       not launched (local bridge only; `xnet-tui launch` starts the mesh)';
  return [
    `router       ${r.driver} ${r.state}${r.nickname ? `, nickname ${r.nickname}` : ''}${r.encrypted ? ', encrypted' : ', not encrypted'}`,
    `underlay     ${r.listen ?? '-'}${r.underlayMtu ? ` (mtu ${r.underlayMtu})` : ''}, bridge ${r.bridge.name}${r.bridge.netns ? ` (netns ${r.bridge.netns})` : ''} mtu ${r.bridge.mtu ?? '-'}, range ${r.range ?? '-'}`,
    // Alive in gossip, reachable on the data plane: `status peers` lists them, trouble first.
    `peers        ${summaryLine(peerSummary(r.peers))}`,
    ...(r.dataPlanePolicy ? [`data plane   ${r.dataPlanePolicy}`] : []),
    ...(ipamOf(r) ? [`ipam         ${ipamOf(r)!.range}: ${ipamOf(r)!.status}`] : []),
    ...(addressTableOf(r) ? addressLines(r) : []),
    ...r.warnings.map((w) => `warning      ${w}`),
    ...(lanDetailsOf(r) ? [lanSection(lanDetailsOf(r)!)] : []),
    ...(ovsOf(r) ? [ovsSection(r)] : []),
  ].join('\n');
}

const holderText = (h: AddressHolder): string =>
  `${h.container} on ${h.self ? 'this host' : h.nickname ? `peer ${h.nickname} (${h.host})` : `peer ${h.host}`} since ${h.since}`;

/** One line per clash: who keeps the address, who is flagged. */
export function clashLine(c: AddressClash): string {
  return `CLASH ${c.address}: kept by ${holderText(c.kept)}; flagged (newer): ${c.flagged.map(holderText).join(', ')}`;
}

/** The vxlan address table: its size, how lists travel, and every clash. */
function addressLines(r: RouterStatus): string[] {
  const t = addressTableOf(r)!;
  return [
    `addresses    ${t.entries} attached address(es) on ${t.hosts} host(s) in the mesh table; ${t.sync}`,
    ...t.clashes.map((c) => `             ${clashLine(c)}`),
  ];
}
