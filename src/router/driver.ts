import type Docker from 'dockerode';
import type { Attachment } from '../api/state.js';
import type {
  AddressClash,
  ConnectionStatus,
  DriverName,
  LaunchSettings,
  RouterStatus,
} from '../api/router-status.js';
import type { DockerdConfig } from '../docker/config/apply.js';
import type { NetnsPath } from '../net/netns.js';
import type { RuleCount } from '../net/vxlan-filter.js';
import type { KeyRotation } from './serf/rotate.js';
import type { PeerProber } from './data-plane.js';
import type { PeerClock } from './serf/clock.js';

/**
 * What every mesh implements (flannel's backend shape): the agent and the UI see this interface only.
 * vxlan is the default; bridge, ovs-gre and weave come through the same door. The schemas of what drivers
 * are given and report (settings, status) are the API's, in src/api/router-status.ts.
 */
export * from '../api/router-status.js';

/** Where attach plugs a container in, and with what MTU. */
export interface AttachPoint {
  bridge: string;
  mtu: number;
  /**
   * The named network namespace (/run/netns/NAME) the bridge and the containers' host-side veths are in: the
   * vxlan driver's overlay namespace. Absent: the agent's own (host) namespace (weave, ovs-gre, bridge).
   */
  netns?: string;
}

/** A tunnel's own counters for one peer since it was made: rx is what came from the peer, tx what went to it. */
export interface PeerCounters {
  address: string;
  rx: { packets: number; bytes: number };
  tx: { packets: number; bytes: number };
}

/** What the kernel counts on a tunnel's way in, read for saying where a blocked peer's packets stop. */
export interface TunnelCounters {
  /** The underlay device and port the tunnel's packets arrive on (telemetry counts them per peer there). */
  underlayDev: string;
  port: number;
  /** The tunnel device, and the packets it has received from every peer since it was made. */
  device: string;
  deviceRx: number;
  /** The firewall rules on the way in (ours and any that drop the port), each with its counter. */
  rules: RuleCount[];
  /**
   * The addresses our own admission lets through, where the rules do not list them (the vxlan driver's eBPF
   * admission: its chain lets marked packets through, and the program marks these).
   */
  admitted?: string[];
}

/** Clock offsets with the alive peers: those asked, and each answer with its nickname. */
export interface MeshClocks {
  asked: string[];
  clocks: (PeerClock & { nickname: string })[];
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
  /** This host's attachments changed (drivers that spread them through the mesh tell it). */
  attachmentsChanged?(): void;
  /** Addresses two hosts claim at once, for drivers with a mesh-wide address table. */
  clashes?(): AddressClash[];
  /** Claims addresses for a container in the driver's IPAM before attach adds them (throws to refuse). */
  claim?(containerId: string, cidrs: string[]): Promise<void>;
  /** Gives addresses back after detach removed them (or an attach that claimed them failed). */
  release?(containerId: string, cidrs: string[]): Promise<void>;
  /**
   * Live per-peer counters, for drivers with a tunnel per peer (ovs-gre: each GRE port); telemetry turns them
   * into per-peer rates where it cannot capture per peer itself (it does for vxlan, on the underlay).
   */
  peerCounters?(): Promise<PeerCounters[]>;
  /** The tunnel's counters on the way in (device, firewall), for drivers with one tunnel device (vxlan). */
  tunnelCounters?(): Promise<TunnelCounters | undefined>;
  /** Each alive peer's clock against this host's, through the gossip (Serf-based drivers). */
  clocks?(): Promise<MeshClocks>;
  /** Rotates the mesh key to `key` on every member (Serf-based drivers); absent where the driver has none. */
  rotateKey?(key: string): Promise<KeyRotation>;
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
  /** The name of this agent's overlay namespace, for drivers whose bridge lives in one (vxlan). */
  overlayNetns: string;
  log: (msg: string) => void;
  /** Called when the bridge MTU changes, so attached containers follow it. */
  onMtu: (mtu: number) => Promise<void>;
  /** This host's attachments (desired state), for drivers that tell the mesh who holds what. */
  attachments: () => readonly Attachment[];
  /** dockerd's options with their validation, backup and rollback, for drivers that give docker's bridge a subnet. */
  dockerd?: Pick<DockerdConfig, 'show' | 'applyNow'>;
  /**
   * This host's data-plane probes (one small and one full-size fping for all peers), shared with telemetry's
   * automatic checks: a driver that probes its peers plans them here rather than running probes of its own.
   */
  probes?: PeerProber;
  /**
   * The driver's tunnel device is about to be deleted to be made anew (a relaunch with other settings): telemetry's
   * fast path stops naming its ifindex. Its failure never stops the re-create.
   */
  tunnelGoing?: () => Promise<void>;
}
