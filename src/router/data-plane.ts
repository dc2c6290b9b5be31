import type { PingState } from '../api/telemetry.js';
import type { NetnsPath } from '../net/netns.js';

/**
 * A mesh's data-plane probes, as drivers see them: the driver says where probes leave from and to which peers;
 * the host's one set of probe loops (telemetry/peer-probes.ts, one small and one full-size fping for all
 * peers) runs them, and the driver reads each peer's state back. Telemetry's automatic checks read the same.
 */

/** Where probes leave from: a driver's bridge, in the namespace that bridge lives in. */
export interface ProbePoint {
  netns: NetnsPath;
  dev: string;
}

/** What to probe: peers' probe addresses (link-local, without scope), and the MTU full-size probes fill. */
export interface ProbePlan {
  point: ProbePoint;
  mtu: number;
  targets: string[];
}

/** A peer's two probe streams now: the small probes' state and the full-size ones'. */
export interface PeerReading {
  small: PingState;
  full: PingState;
  /** The last small probe's round trip, and when the last small probe came back or timed out. */
  rttMs: number | null;
  checkedAt: string | null;
}

export interface PeerProber {
  /** Probes what `plan` says (an unchanged plan keeps the loops running); undefined stops them. */
  plan(plan: ProbePlan | undefined): void;
  /** What the two streams say about one peer (`target` unscoped). */
  reading(target: string): PeerReading;
}

/** IPv6 (40) + ICMPv6 echo (8) around the payload: probes go to the peer's bridge link-local address. */
export const ICMP6_OVERHEAD = 48;

/** The ICMPv6 payload that makes a packet of exactly `mtu` bytes, the largest the overlay should carry. */
export function fullSizePayload(mtu: number): number {
  return mtu - ICMP6_OVERHEAD;
}

/** Small probes answer (or mostly) while every recent full-size one is lost: the path is narrower than the MTU. */
export function tooBig(small: PingState, full: PingState): boolean {
  return (small === 'up' || small === 'degraded') && full === 'down';
}

export type DataPlaneState = 'reachable' | 'unreachable' | 'mtu-too-small' | 'unknown';

/** The Peers pane's data-plane state from the two streams. */
export function dataPlaneOf(small: PingState, full: PingState): DataPlaneState {
  if (small === 'down') return 'unreachable';
  if (tooBig(small, full)) return 'mtu-too-small';
  return small === 'up' || small === 'degraded' ? 'reachable' : 'unknown';
}
