import type Docker from 'dockerode';
import type { ConnectionStatus, DriverName, LaunchSettings, RouterStatus } from '../api/router-status.js';
import type { DockerdConfig } from '../docker/config/apply.js';
import type { NetnsPath } from '../net/netns.js';
import type { KeyRotation } from './serf/rotate.js';

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
  /** This host's attachments, to answer "who holds this address?" from peers. */
  localOwner: (address: string) => string | undefined;
  /** dockerd's options with their validation, backup and rollback, for drivers that give docker's bridge a subnet. */
  dockerd?: Pick<DockerdConfig, 'show' | 'applyNow'>;
}
