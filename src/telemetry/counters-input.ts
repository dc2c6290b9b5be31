import type { InterfaceCounters } from '../api/interfaces.js';
import type { NetnsPath } from '../net/netns.js';
import type { LanEntry } from './lan-table.js';

/** What the counters are told each tick (counters.ts): the links, the containers' veths, the driver's tunnel. */
export type Link = InterfaceCounters & { ifindex: number };

export interface CountersInput {
  at: number;
  /** Why nothing should be counted now (the router is not running), or null. */
  stopped: string | null;
  links: Link[];
  /**
   * The containers' host-side veths, where they are not in `links`' namespace (the overlay namespace holds
   * them): that namespace and its links. Absent: they are in `links`.
   */
  veths?: { netns: NetnsPath; links: Link[] };
  /**
   * Attached containers and their host-side veth; with `lan`, every port of the LAN bridge (a container may
   * have several; id '' where no container is known: counted in the bridge and per peer only).
   */
  containers: { id: string; hostIfname: string }[];
  /** The bridge driver: the ports are counted by the other end's LAN address, looked up in this table. */
  lan?: { table: LanEntry[] };
  /** The tunnel whose UDP port is counted per outer peer address (the driver's), if any. */
  tunnel?: { device: string; port: number };
  /**
   * The driver's fast path past the bridge (fast-path.ts): its tunnel device and its bridge, both in the
   * veths' namespace. Absent: the bridge carries every frame.
   */
  fast?: { device: string; bridge: string };
}
