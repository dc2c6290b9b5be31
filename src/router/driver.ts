import type Docker from 'dockerode';
import { z } from 'zod';
import type { DockerdConfig } from '../docker/config/apply.js';
import type { NetnsPath } from '../net/netns.js';
import { OvsStatus } from './ovs-gre/schema.js';

/**
 * What every mesh implements (flannel's backend shape): the agent and the UI see this interface only.
 * vxlan is the default; bridge, ovs-gre and weave come through the same door.
 */
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
  bridge: z.object({ name: z.string(), mtu: z.number().nullable() }),
  underlayMtu: z.number().nullable(),
  peers: z.array(PeerStatus),
  connections: z.array(ConnectionStatus),
  warnings: z.array(z.string()),
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

/** Where attach plugs a container in, and with what MTU. */
export interface AttachPoint {
  bridge: string;
  mtu: number;
}

/** A tunnel's own counters for one peer since it was made: rx is what came from the peer, tx what went to it. */
export interface PeerCounters {
  address: string;
  rx: { packets: number; bytes: number };
  tx: { packets: number; bytes: number };
}

export interface RouterDriver {
  readonly name: DriverName;
  /**
   * Checks settings before anything is saved or touched (bad input: throws, exit 2); returns warnings.
   * Optional: drivers without rules of their own leave it out.
   */
  check?(settings: LaunchSettings): Promise<string[]>;
  /** Brings the router up with these settings (idempotent: launching a running router reconciles it). */
  launch(settings: LaunchSettings): Promise<void>;
  /** Router down; settings and attachments kept. */
  stop(): Promise<void>;
  /** Removes everything this driver created. */
  reset(): Promise<void>;
  connect(peers: string[]): Promise<ConnectionStatus[]>;
  /**
   * Stops (re)connecting to these peers. It is given every peer named, connection target or not, and returns
   * those it acted on that were not targets (ovs-gre: a member's GRE port), if any.
   */
  forget(peers: string[]): Promise<string[] | void>;
  status(): Promise<Omit<RouterStatus, 'driver' | 'state'>>;
  attachPoint(): AttachPoint;
  /** Who in the mesh (other than this host) holds `address`, if anyone. */
  addressOwner(address: string): Promise<{ peer: string; container: string } | undefined>;
  /** Claims addresses for a container in the driver's IPAM before attach adds them (throws to refuse). */
  claim?(containerId: string, cidrs: string[]): Promise<void>;
  /** Gives addresses back after detach removed them (or an attach that claimed them failed). */
  release?(containerId: string, cidrs: string[]): Promise<void>;
  /**
   * Live per-peer counters, for drivers with a tunnel per peer (ovs-gre: each GRE port); telemetry turns them
   * into per-peer rates where it cannot capture per peer itself (it does for vxlan, on the underlay).
   */
  peerCounters?(): Promise<PeerCounters[]>;
  /** Releases the driver's processes and timers without tearing the mesh down (agent exit, relaunch). */
  close(): Promise<void>;
}

/** What the agent gives every driver. A driver takes what it needs and ignores the rest. */
export interface DriverDeps {
  netns: NetnsPath;
  /** This host's dockerd: the weave driver runs its router there; ovs-gre reads docker's bridge. */
  docker: Docker;
  /** The bridge attach plugs containers into when the driver has no bridge of its own. */
  bridge: string;
  /** The agent's state directory: drivers keep their files (keyrings, logs, pidfiles) under it. */
  stateDir: string;
  log: (msg: string) => void;
  /** Called when the bridge MTU changes, so attached containers follow it. */
  onMtu: (mtu: number) => Promise<void>;
  /** This host's attachments, to answer "who holds this address?" from peers. */
  localOwner: (address: string) => string | undefined;
  /** dockerd's options with their validation, backup and rollback, for drivers that give docker's bridge a subnet. */
  dockerd?: Pick<DockerdConfig, 'show' | 'applyNow'>;
}
