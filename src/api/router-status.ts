import { z } from 'zod';
import { LanSettings, LanStatus } from './lan-status.js';
import { OvsStatus } from './ovs-status.js';

/** The drivers a mesh can run: each says what it is in src/router/<name>/description.ts. */
export const DriverName = z.enum(['vxlan', 'bridge', 'ovs-gre', 'weave']);
export type DriverName = z.infer<typeof DriverName>;

export const LaunchSettings = z.object({
  driver: DriverName,
  nickname: z.string().min(1).max(63),
  /** Underlay address this host is reached at (VTEP, gossip bind). */
  listen: z.string(),
  /** The overlay range containers are given addresses from. */
  range: z.string(),
  passwordFile: z.string().optional(),
  /** This host's own container subnet (docker's bridge), for drivers that route per-host subnets (ovs-gre). */
  subnet: z.string().optional(),
  /** The bridge driver's NIC, bridge and check. */
  lan: LanSettings.optional(),
  /** The overlay MTU asked for (`launch --mtu`), for drivers whose description lists it; absent: the underlay's - overhead. */
  mtu: z.number().int().min(1280).max(9000).optional(),
  /** Peers to connect to (`connect` adds, `forget` removes), as host or host:port. */
  peers: z.array(z.string()),
  /** false after `stop`: the settings stay, the router is down. */
  running: z.boolean(),
});
export type LaunchSettings = z.infer<typeof LaunchSettings>;

export const GossipState = z.enum(['alive', 'leaving', 'left', 'failed', 'none']);
export const DataPlaneState = z.enum(['reachable', 'unreachable', 'mtu-too-small', 'unknown']);

export const PeerStatus = z.object({
  name: z.string(),
  nickname: z.string(),
  address: z.string(),
  gossip: GossipState,
  dataPlane: z.object({
    state: DataPlaneState,
    rttMs: z.number().nullable(),
    /** Largest payload that crossed, when the full-size probe failed. */
    detail: z.string().nullable(),
    checkedAt: z.string().nullable(),
  }),
  self: z.boolean(),
  /** The address data-plane probes (and telemetry's ping checks and MTU probes) are sent to, across the overlay. */
  probeAddress: z.string().nullable().optional(),
});
export type PeerStatus = z.infer<typeof PeerStatus>;

export const ConnectionStatus = z.object({
  target: z.string(),
  /** established/failed/pending for every driver; Weave adds its retrying and connecting. */
  state: z.enum(['established', 'failed', 'pending', 'retrying', 'connecting']),
  error: z.string().nullable(),
  /** How packets cross when the driver can say: vxlan, gre, fastdp, sleeve. */
  transport: z.string().optional(),
  encrypted: z.boolean().optional(),
  /** Why the connection is in this state or on this transport (e.g. why sleeve, why pending), in words. */
  reason: z.string().optional(),
});
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

/** An IPAM's view of the range, for drivers that have one (Weave). */
export const IpamStatus = z.object({
  range: z.string(),
  defaultSubnet: z.string(),
  size: z.number(),
  active: z.number(),
  /** ready, awaiting consensus, ... in words. */
  status: z.string(),
  owners: z.array(
    z.object({ peer: z.string(), nickname: z.string(), ips: z.number(), reachable: z.boolean() }),
  ),
});
export type IpamStatus = z.infer<typeof IpamStatus>;

/** Per-driver status: what only one driver can say, discriminated by its name. */
export const DriverDetails = z.discriminatedUnion('driver', [
  /** The OVS bridges, GRE ports with their counters, and the routes to the other hosts' subnets. */
  z.object({ driver: z.literal('ovs-gre'), ovs: OvsStatus }),
  /** The LAN, the NIC in the bridge and every host's docker slice. */
  z.object({ driver: z.literal('bridge'), lan: LanStatus }),
  z.object({ driver: z.literal('weave'), ipam: IpamStatus }),
]);
export type DriverDetails = z.infer<typeof DriverDetails>;

export const RouterStatus = z.object({
  driver: DriverName.nullable(),
  state: z.enum(['not-launched', 'running', 'stopped', 'starting']),
  nickname: z.string().nullable(),
  name: z.string().nullable(),
  listen: z.string().nullable(),
  range: z.string().nullable(),
  encrypted: z.boolean(),
  /** netns: the named namespace the bridge is in (`ip netns exec NAME tcpdump -i BRIDGE`); absent: the host's. */
  bridge: z.object({ name: z.string(), mtu: z.number().nullable(), netns: z.string().nullable().optional() }),
  underlayMtu: z.number().nullable(),
  peers: z.array(PeerStatus),
  connections: z.array(ConnectionStatus),
  warnings: z.array(z.string()),
  /** Who the data plane accepts packets from, and whether they are encrypted, in words (vxlan). */
  dataPlanePolicy: z.string().optional(),
  /**
   * A launch made with --confirm: waiting for the operator's `confirm` until `by` (ISO), then confirmed, or
   * expired (being reset by itself, then gone with the router).
   */
  confirm: z.object({ by: z.string(), state: z.enum(['waiting', 'confirmed', 'expired']) }).optional(),
  /** What one driver alone reports, tagged with its name. */
  details: DriverDetails.optional(),
});
export type RouterStatus = z.infer<typeof RouterStatus>;

/** The Weave IPAM's view of the range, when the driver has one. */
export function ipamOf(r: RouterStatus): IpamStatus | undefined {
  return r.details && 'ipam' in r.details ? r.details.ipam : undefined;
}

/** ovs-gre's bridges, ports and routes, when that is the driver. */
export function ovsOf(r: RouterStatus): OvsStatus | undefined {
  return r.details && 'ovs' in r.details ? r.details.ovs : undefined;
}

/** The bridge driver's LAN and slices, when that is the driver. */
export function lanDetailsOf(r: RouterStatus): LanStatus | undefined {
  return r.details && 'lan' in r.details ? r.details.lan : undefined;
}
