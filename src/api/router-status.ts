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

/**
 * Where a blocked peer's packets stop, from the kernel's counters (telemetry/packet-path.ts): nothing leaves
 * for it (not-sent); nothing comes back on the underlay (path); our XNET-VXLAN chain or another firewall rule
 * drops what arrives (our-rule, firewall); something iptables does not count does (before-tunnel); it reaches
 * the tunnel device and no reply leaves (no-reply); both ways move here and the peer answers none (peer-drops).
 */
export const PacketStop = z.enum([
  'not-sent',
  'path',
  'our-rule',
  'firewall',
  'before-tunnel',
  'no-reply',
  'peer-drops',
]);
export type PacketStop = z.infer<typeof PacketStop>;

export const PeerStatus = z.object({
  name: z.string(),
  nickname: z.string(),
  address: z.string(),
  gossip: GossipState,
  /**
   * When this peer's gossip state last changed to what it is now (ms since the epoch), as this agent saw it:
   * kept in memory, so a restarted agent starts it again. Absent from an older agent, or a driver without it.
   */
  gossipSince: z.number().optional(),
  dataPlane: z.object({
    state: DataPlaneState,
    rttMs: z.number().nullable(),
    /** Largest payload that crossed, when the full-size probe failed. */
    detail: z.string().nullable(),
    checkedAt: z.string().nullable(),
    /** Where packets stop while it is unreachable, when the counters tell (then `detail` says it in words). */
    stop: PacketStop.optional(),
    /**
     * When the data-plane state last changed to `state` (ms since the epoch), as the agent decided it (a probe
     * line, a membership change); in memory, so a restarted agent starts it again. Absent as gossipSince is.
     */
    since: z.number().optional(),
  }),
  self: z.boolean(),
  /** The address data-plane probes (and telemetry's ping checks and MTU probes) are sent to, across the overlay. */
  probeAddress: z.string().nullable().optional(),
  /** The member's container subnet where the driver gives each host one (bridge: its docker slice). */
  subnet: z.string().nullable().optional(),
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

/** One host's claim on an address, as the mesh-wide address table has it. */
export const AddressHolder = z.object({
  host: z.string(),
  nickname: z.string(),
  container: z.string(),
  /** When that host claimed it (ISO 8601): the older claim keeps the address. */
  since: z.string(),
  self: z.boolean(),
});
export type AddressHolder = z.infer<typeof AddressHolder>;

/** Two or more hosts claim one address: the oldest claim keeps the forwarding entry, the newer are flagged. */
export const AddressClash = z.object({
  address: z.string(),
  kept: AddressHolder,
  flagged: z.array(AddressHolder),
});
export type AddressClash = z.infer<typeof AddressClash>;

/** The vxlan driver's mesh-wide address table: how much it holds, its clashes, how lists are pulled. */
export const AddressTableStatus = z.object({
  entries: z.number(),
  hosts: z.number(),
  clashes: z.array(AddressClash),
  /** How members' lists travel, in words (sealed with the mesh key, or open without a password). */
  sync: z.string(),
});
export type AddressTableStatus = z.infer<typeof AddressTableStatus>;

/** Per-driver status: what only one driver can say, discriminated by its name. */
export const DriverDetails = z.discriminatedUnion('driver', [
  /** The OVS bridges, GRE ports with their counters, and the routes to the other hosts' subnets. */
  z.object({ driver: z.literal('ovs-gre'), ovs: OvsStatus }),
  /** The LAN, the NIC in the bridge and every host's docker slice. */
  z.object({ driver: z.literal('bridge'), lan: LanStatus }),
  z.object({ driver: z.literal('weave'), ipam: IpamStatus }),
  /** The mesh-wide address table. */
  z.object({ driver: z.literal('vxlan'), addresses: AddressTableStatus }),
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

/** The vxlan driver's address table, when that is the driver. */
export function addressTableOf(r: RouterStatus): AddressTableStatus | undefined {
  return r.details && 'addresses' in r.details ? r.details.addresses : undefined;
}

/** The bridge driver's LAN and slices, when that is the driver. */
export function lanDetailsOf(r: RouterStatus): LanStatus | undefined {
  return r.details && 'lan' in r.details ? r.details.lan : undefined;
}
