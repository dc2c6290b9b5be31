// What status and the counters say about each peer, from the members and OVS's ports: the peer rows, the
// tunnel rows, the userspace datapath's tx correction and the status they make up. Pure; split from
// driver.ts, which reads the inputs.
import type { GrePortStatus, OvsStatus } from '../../api/ovs-status.js';
import type { ConnectionStatus, LaunchSettings, PeerStatus, RouterStatus } from '../driver.js';
import type { Underlay } from '../underlay.js';
import { GRE_OVERHEAD, type Member } from './layout.js';

/**
 * OVS's userspace datapath (3.1) counts every frame a GRE port sends twice: the frame, then the frame inside
 * its GRE packet (GRE_OVERHEAD bytes more). rx counts each frame once. Measured against tcpdump on the
 * underlay: 30 pings of 1,042-byte frames and 6 BFD frames added 72 packets and 64,680 bytes to tx, which is
 * 36 x 2 packets and 2 x (30 x 1,042 + 6 x 66) + 36 x 38 bytes. Pure.
 */
export function userspaceGreTx(tx: { packets: number; bytes: number }): { packets: number; bytes: number } {
  const packets = Math.floor(tx.packets / 2);
  return { packets, bytes: Math.max(0, Math.round((tx.bytes - GRE_OVERHEAD * packets) / 2)) };
}

/** A row per member: the data plane is the BFD state of the GRE port to it. */
export function peerRows(o: {
  self: string;
  members: readonly Member[];
  ports: readonly GrePortStatus[];
  forgotten: ReadonlySet<string>;
  probeAddresses: ReadonlyMap<string, string>;
}): PeerStatus[] {
  const bfd = new Map(o.ports.map((p) => [p.remote, p]));
  return o.members.map((m) => {
    const self = m.name === o.self;
    const port = bfd.get(m.address);
    const state: PeerStatus['dataPlane']['state'] = self
      ? 'reachable'
      : port?.bfd === 'up'
        ? 'reachable'
        : port
          ? 'unreachable'
          : 'unknown';
    return {
      name: m.name,
      nickname: m.nickname,
      address: m.address,
      gossip: m.status,
      dataPlane: {
        state,
        rttMs: self ? 0 : null,
        detail: self
          ? 'this host'
          : !port
            ? o.forgotten.has(m.address)
              ? 'forgotten: no GRE port'
              : 'no GRE port'
            : port.bfd === 'up'
              ? `BFD up over ${port.name}`
              : `no BFD reply over GRE (IP protocol 47) from ${m.address} (BFD ${port.bfd ?? 'off'})`,
        checkedAt: null,
      },
      self,
      probeAddress: o.probeAddresses.get(m.address) ?? null,
    };
  });
}

/** A row per GRE port, then the joins that have no port (yet). */
export function tunnelRows(
  members: readonly Member[],
  ports: readonly GrePortStatus[],
  joins: readonly ConnectionStatus[],
): ConnectionStatus[] {
  const tunnels: ConnectionStatus[] = ports.map((p) => {
    const m = members.find((x) => x.address === p.remote);
    return {
      target: p.remote,
      state: p.bfd === 'up' ? 'established' : m?.status === 'failed' ? 'failed' : 'pending',
      error: p.error,
      transport: 'gre',
      reason:
        p.bfd === 'up'
          ? `BFD up over ${p.name}`
          : m?.status === 'failed'
            ? 'the peer is failed in gossip'
            : `waiting for BFD over ${p.name}`,
    };
  });
  const joinsOnly = joins.filter((c) => !tunnels.some((t) => t.target === c.target.split(':')[0]));
  return [...tunnels, ...joinsOnly];
}

/** What `status` says of the router, from what the driver holds and OVS's own status (when the switch is up). */
export function statusReport(o: {
  settings: LaunchSettings | undefined;
  underlay: Underlay | undefined;
  subnet: string | null;
  dockerBridge: string;
  mtu: number | undefined;
  self: string;
  members: readonly Member[];
  forgotten: ReadonlySet<string>;
  probeAddresses: ReadonlyMap<string, string>;
  joins: readonly ConnectionStatus[];
  skipped: string[];
  ovs: OvsStatus | undefined;
}): Omit<RouterStatus, 'driver' | 'state'> {
  const ports = o.ovs?.ports ?? [];
  return {
    nickname: o.settings?.nickname ?? null,
    name: o.underlay?.address ?? null,
    listen: o.underlay?.address ?? null,
    range: o.subnet,
    encrypted: Boolean(o.settings?.passwordFile),
    bridge: { name: o.dockerBridge, mtu: o.mtu ?? null },
    underlayMtu: o.underlay?.mtu ?? null,
    peers: peerRows({ ...o, ports }),
    connections: tunnelRows(o.members, ports, o.joins),
    warnings: o.skipped,
    ...(o.ovs ? { details: { driver: 'ovs-gre' as const, ovs: o.ovs } } : {}),
  };
}
