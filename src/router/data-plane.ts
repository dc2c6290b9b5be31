import ipaddr from 'ipaddr.js';
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

/**
 * What to probe: peers' probe addresses (a link-local one without its scope, or IPv4), and the MTU full-size
 * probes fill. Every driver plans one (vxlan, weave: peers' bridge link-locals; ovs-gre: peers' docker bridge
 * addresses; bridge: peers' LAN addresses), so every driver gets one automatic check per peer.
 */
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
  /**
   * Each probe line as it comes (`target` as fping prints it: a link-local one scoped, `fe80::1%br`), for the
   * moment a peer's state changes; returns the way to stop listening.
   */
  listen?(
    fn: (size: 'small' | 'full', p: { t: number; target: string; rttMs: number | null }) => void,
  ): () => void;
}

/** IPv6 (40) + ICMPv6 echo (8) around the payload: vxlan and weave probe a peer's bridge link-local address. */
export const ICMP6_OVERHEAD = 48;
/** IPv4 (20) + ICMP echo (8): the bridge driver probes LAN addresses, ovs-gre the peers' docker bridges. */
export const ICMP4_OVERHEAD = 28;

const isIpv6 = (target: string): boolean => target.includes(':');

/** The ICMP payload that makes a packet of exactly `mtu` bytes to `target`, the largest the path should carry. */
export function fullSizePayload(mtu: number, target = '::'): number {
  return mtu - (isIpv6(target) ? ICMP6_OVERHEAD : ICMP4_OVERHEAD);
}

/** A plan's full-size payload: one `-b` per fping, so a plan mixing families sizes for IPv6 (never over the MTU). */
export function planPayload(plan: Pick<ProbePlan, 'mtu' | 'targets'>): number {
  return fullSizePayload(plan.mtu, plan.targets.some(isIpv6) ? '::' : '0.0.0.0');
}

/** A target as fping and ping take it: a link-local address needs the probe point's device as its scope. */
export function scopedTarget(target: string, dev: string): string {
  return /^fe80:/i.test(target) ? `${target}%${dev}` : target;
}

/** The EUI-64 IPv6 link-local address the kernel gives an interface with this MAC (addr_gen_mode eui64). */
export function linkLocalOfMac(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const eui = [b[0]! ^ 0x02, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  // Written as the kernel writes it (RFC 5952): a MAC beginning 02:00 is fe80::a3ff:..., not fe80::0:a3ff:....
  return ipaddr.fromByteArray([0xfe, 0x80, 0, 0, 0, 0, 0, 0, ...eui]).toString();
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
