import type { DriverName } from './driver.js';

/**
 * What a driver is, said once in its own folder (`<driver>/description.ts`) and read by the UI, the CLI and
 * telemetry, which never branch on a driver's name. Plain data with no node-only imports, so the TUI bundle
 * imports it as it is.
 */
export interface DriverDescription {
  name: DriverName;
  /** false: listed so the operator sees it coming, refused at launch with nothing changed. */
  built: boolean;
  /** What it is, in a few words (the launch form's note, the CLI's --driver help). */
  summary: string;
  /** The launch settings it takes beyond the driver, in the form's order. */
  launch: readonly LaunchFieldSpec[];
  /** What happens while it launches, when the operator should know (the bridge driver's check), in words. */
  launching?: string;
  /** What `reset` removes, in words, for its confirmation and the CLI's help. */
  resetRemoves: string;
  /**
   * The ports it listens on, which must be free before launch and bound while it runs, and the peers must reach
   * (doctor checks the running driver's; before any launch, every driver's, each labelled with who needs it).
   */
  ports: readonly DriverPort[];
  /** What doctor checks on the host for it beyond its ports; what only other drivers need is "not needed by" it. */
  host: DriverHostNeeds;
  /** What its encapsulation costs a frame, and what to do when a path carries less than its bridge MTU. */
  mtu: DriverMtu;
  telemetry: {
    /** The tunnel device to count on the underlay; the outer address names the peer. */
    tunnel?: { device: string; protocol: 'udp'; port: number };
    /** driver.peerCounters() gives per-peer figures. */
    peerCounters: boolean;
    /**
     * Every port of the attach bridge is a container's, dockerd's own too: count them all, and each frame by
     * the member whose slice or address the other end's LAN address is in (no tunnel names the peer).
     */
    bridgePorts?: boolean;
    /**
     * This tunnel device, beside the bridge, takes containers' frames for other hosts straight from their
     * veths and gives theirs straight into their namespaces (tc BPF, telemetry/fast-path.ts).
     */
    fastPath?: { device: string };
  };
}

export interface DriverPort {
  port: number;
  proto: 'tcp' | 'udp';
  /** What uses it, in a few words: `serf gossip`, `VXLAN`. */
  what: string;
}

export interface DriverHostNeeds {
  /** Kernel modules it needs loaded (or loadable on first use): /sys/module/<name>, titled by what uses it. */
  modules: readonly { name: string; what: string }[];
  /** Its data plane's ports on the underlay: a firewall rule that drops one cuts the peers off. */
  dataPlane: readonly DriverPort[];
  /** It can ask its peers' clocks (the Serf query `xnet-clock`). */
  clocks: boolean;
}

/**
 * The MTU as a driver sees it: the bytes each way of carrying a frame adds on the underlay, and how the operator
 * makes the overlay fit a smaller path (the full-size check's and the path MTU probe's advice come from here).
 */
export interface DriverMtu {
  /** Bytes a frame grows by on the underlay, per data path (weave: fastdp and sleeve); the first is the usual one. */
  overhead: readonly { path: string; bytes: number }[];
  /**
   * launch-mtu: `launch --mtu N` sets it; underlay: the driver takes the underlay's MTU less its overhead at
   * launch, so the underlay's MTU is what to lower; path: nothing here sets it, the path must carry it.
   */
  fit: 'launch-mtu' | 'underlay' | 'path';
}

/** Serf's ports (gossip, and its RPC on loopback), for the drivers whose membership is Serf's. */
export const SERF_PORTS: readonly DriverPort[] = [
  { port: 7946, proto: 'tcp', what: 'serf gossip' },
  { port: 7946, proto: 'udp', what: 'serf gossip' },
  { port: 7373, proto: 'tcp', what: 'serf RPC (loopback)' },
];

/** The launch settings an operator types (the driver is chosen apart). */
export type LaunchFieldKey = 'nickname' | 'range' | 'subnet' | 'peers' | 'passwordFile' | 'mtu';

export interface LaunchFieldSpec {
  key: LaunchFieldKey;
  /** The form's label. */
  label: string;
  /** What the form shows in an empty field: the default, or an example. */
  placeholder: string;
  /** The CLI option's help text. */
  help: string;
}

/** The fields most drivers share; a driver lists them with its own in its description. */
export const FIELD = {
  nickname: {
    key: 'nickname',
    label: 'nickname',
    placeholder: '(the host name)',
    help: 'a human name for this host in the mesh (default: hostname)',
  },
  range: {
    key: 'range',
    label: 'range',
    placeholder: '(10.32.0.0/12)',
    help: 'overlay address range (default 10.32.0.0/12)',
  },
  peers: {
    key: 'peers',
    label: 'peers',
    placeholder: '(none; e.g. 198.18.0.1 198.18.0.2)',
    help: 'underlay addresses of peers to join, host or host:port',
  },
  passwordFile: {
    key: 'passwordFile',
    label: 'password file',
    placeholder: '(none: gossip not encrypted)',
    help: 'encrypt and close the mesh with the password in FILE (never on the command line)',
  },
  mtu: {
    key: 'mtu',
    label: 'overlay MTU',
    placeholder: '(underlay MTU - 50)',
    help: 'overlay MTU (bridge and containers): lower it when a path MTU is smaller; at most the underlay MTU - 50 (the default)',
  },
} as const satisfies Record<string, LaunchFieldSpec>;
