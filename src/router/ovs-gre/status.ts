import { addrs, ipJson, link, type IpRoute } from '../../net/ip.js';
import type { NetnsPath } from '../../net/netns.js';
import type { OvsSwitch } from './daemons.js';
import type { PeerCounters } from '../driver.js';
import {
  OVS_BRIDGE,
  ROUTE_PROTO,
  UNDERLAY_BRIDGE,
  describeMember,
  greRemote,
  type Member,
} from './layout.js';
import { userspaceGreTx } from './report.js';
import { mapCell, scalar, type OvsCell } from './ovs.js';
import type { GrePortStatus, OvsStatus } from '../../api/ovs-status.js';

/** The routes this driver added (our protocol number), wherever they point. */
export function ourRoutes(netns: NetnsPath): Promise<IpRoute[]> {
  return ipJson<IpRoute[]>(netns, ['-4', 'route', 'show', 'table', 'main', 'proto', ROUTE_PROTO]);
}

/** The IPv4 lines of `ovs-appctl ovs/route/show` that leave through the underlay bridge. Pure. */
export function underlayTunnelRoutes(text: string): string[] {
  const v4 = new RegExp(`^(Cached|User): \\d+\\.\\d+\\.\\d+\\.\\d+/\\d+ .*dev ${UNDERLAY_BRIDGE}\\b`);
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => v4.test(l) && !/ local$/.test(l));
}

const INTERFACE_COLUMNS = [
  'name',
  'type',
  'options',
  'statistics',
  'link_state',
  'bfd_status',
  'error',
  'mtu',
  'external_ids',
];

/** One GRE interface row of `ovs-vsctl --format=json list Interface`, for status. Pure. */
export function grePort(row: Record<string, OvsCell>, members: readonly Member[]): GrePortStatus {
  const options = mapCell(row.options);
  const stats = mapCell(row.statistics);
  const bfd = mapCell(row.bfd_status);
  const remote = options.remote_ip ?? '';
  const m = members.find((x) => x.address === remote);
  const n = (k: string): number => Number(stats[k] ?? 0);
  return {
    name: String(row.name),
    remote,
    peer: m ? describeMember(m) : null,
    subnet: m?.subnet ?? null,
    linkState: scalar(row.link_state),
    bfd: bfd.state ?? null,
    rxPackets: n('rx_packets'),
    txPackets: n('tx_packets'),
    rxBytes: n('rx_bytes'),
    txBytes: n('tx_bytes'),
    error: scalar(row.error),
  };
}

/** What the switch and the kernel say now: bridges, GRE ports with counters, routes (ours and OVS's tunnel routes). */
export async function readOvsStatus(o: {
  sw: OvsSwitch;
  netns: NetnsPath;
  dockerBridge: string;
  subnet: string | null;
  members: readonly Member[];
}): Promise<OvsStatus> {
  const { ovs, datapath, daemons } = o.sw;
  // One query: a bridge has an interface of its own name, and our GRE ports carry external_ids:xnet-peer.
  const rows = await ovs.list('Interface', INTERFACE_COLUMNS);
  const named = (name: string) => rows.find((r) => r.name === name);
  const bridgeRow = named(OVS_BRIDGE);
  const ports = rows
    .filter((r) => r.type === 'gre' && mapCell(r.external_ids)['xnet-peer'] !== undefined)
    .map((r) => grePort(r, o.members))
    .sort((a, b) => a.name.localeCompare(b.name));
  const [plug, docker, routes] = await Promise.all([
    link(o.netns, OVS_BRIDGE),
    addrs(o.netns, o.dockerBridge).catch(() => []),
    ourRoutes(o.netns),
  ]);
  const dockerAddr = docker[0]?.addr_info.find((a) => a.family === 'inet');
  const tunnelRoutes =
    datapath === 'netdev'
      ? underlayTunnelRoutes((await ovs.appctl(['ovs/route/show']).catch(() => ({ stdout: '' }))).stdout)
      : [];
  return {
    datapath,
    daemons,
    bridge: {
      name: OVS_BRIDGE,
      present: bridgeRow !== undefined,
      mtu: bridgeRow ? Number(scalar(bridgeRow.mtu)) || null : null,
    },
    dockerBridge: {
      name: o.dockerBridge,
      plugged: plug?.master === o.dockerBridge,
      address: dockerAddr ? `${dockerAddr.local}/${dockerAddr.prefixlen}` : null,
    },
    underlayBridge: datapath === 'netdev' && named(UNDERLAY_BRIDGE) ? UNDERLAY_BRIDGE : null,
    subnet: o.subnet,
    ports,
    routes: routes.map((r) => {
      const m = o.members.find((x) => x.subnet === r.dst);
      return { dst: r.dst, via: r.gateway ?? null, dev: r.dev ?? '', peer: m ? describeMember(m) : null };
    }),
    tunnelRoutes,
  };
}

/**
 * `ovs-ofctl --names dump-ports BRIDGE`: each named port's rx and tx packets and bytes, live (the Interface
 * table's statistics column is refreshed only every 5 s). Pure.
 */
export function parsePortStats(
  text: string,
): Array<{ name: string; rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } }> {
  const out = [];
  const re = /port\s+"?([^":\s]+)"?:\s+rx pkts=(\d+), bytes=(\d+)[^\n]*\n\s+tx pkts=(\d+), bytes=(\d+)/g;
  for (const m of text.matchAll(re))
    out.push({
      name: m[1]!,
      rx: { packets: Number(m[2]), bytes: Number(m[3]) },
      tx: { packets: Number(m[4]), bytes: Number(m[5]) },
    });
  return out;
}

/** Each GRE port's live counters (OpenFlow port stats), by the peer its name encodes; inner frames. */
export async function greCounters(sw: OvsSwitch): Promise<PeerCounters[]> {
  const { stdout } = await sw.ovs.ofctl(['--names', 'dump-ports', OVS_BRIDGE]);
  return parsePortStats(stdout).flatMap((p) => {
    const address = greRemote(p.name);
    if (!address) return [];
    return [{ address, rx: p.rx, tx: sw.datapath === 'netdev' ? userspaceGreTx(p.tx) : p.tx }];
  });
}
