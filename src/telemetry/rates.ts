import type { InterfaceCounters } from '../api/interfaces.js';
import type { Count, ProtocolCounts, RateSample } from '../api/telemetry.js';
import type { PeerCounters } from '../router/driver.js';
import { PROTOCOLS } from './frame.js';
import type { Second } from './capture.js';
import { PROTO_B, PROTO_P, ROW, RX_B, RX_P, TX_B, TX_P } from './tally.js';

/** Turning the capture process's per-second rows into the API's samples; pure. */

function protocols(row: ArrayLike<number>, packetsAt: number, bytesAt: number): ProtocolCounts {
  const out = {} as ProtocolCounts;
  PROTOCOLS.forEach((p, i) => (out[p] = { packets: row[packetsAt + i]!, bytes: row[bytesAt + i]! }));
  return out;
}

const ZERO_ROW: number[] = new Array<number>(ROW).fill(0);

/** An endpoint's sample; `swap` reads the row from the other side (a peer's rx is what it sent us). */
export function endpointSample(s: Second, key: number, swap: boolean): RateSample {
  const row = s.endpoints.get(key) ?? ZERO_ROW;
  const sent = { packets: row[TX_P]!, bytes: row[TX_B]! };
  const got = { packets: row[RX_P]!, bytes: row[RX_B]! };
  return {
    t: s.t,
    rx: swap ? sent : got,
    tx: swap ? got : sent,
    protocols: protocols(row, PROTO_P, PROTO_B),
  };
}

/**
 * A peer's second from its tunnel's counters read a second apart: the differences (0 where a counter went
 * back, i.e. the tunnel was made anew, or the tunnel is new). Tunnel counters have no protocol split.
 */
export function counterSample(t: number, before: PeerCounters | undefined, after: PeerCounters): RateSample {
  const d = (f: 'rx' | 'tx', k: 'packets' | 'bytes'): number =>
    before ? Math.max(0, after[f][k] - before[f][k]) : 0;
  return {
    t,
    rx: { packets: d('rx', 'packets'), bytes: d('rx', 'bytes') },
    tx: { packets: d('tx', 'packets'), bytes: d('tx', 'bytes') },
    protocols: protocols(ZERO_ROW, 0, 5),
  };
}

/** The whole bridge in one second: tx is what this host's containers sent, rx everything else. */
export function bridgeSample(s: Second, containerMacs: number[]): RateSample {
  const tx = { packets: 0, bytes: 0 };
  for (const mac of containerMacs) {
    const row = s.endpoints.get(mac);
    if (!row) continue;
    tx.packets += row[TX_P]!;
    tx.bytes += row[TX_B]!;
  }
  return {
    t: s.t,
    rx: { packets: s.counts.packets - tx.packets, bytes: s.counts.bytes - tx.bytes },
    tx,
    protocols: protocols(s.counts.protocols, 0, 5),
  };
}

/**
 * What the kernel's counters say a capture should have seen between two readings:
 * - the bridge (promiscuous) sees every frame that enters it: what its ports received plus what the host sent
 *   into it (the bridge device's tx);
 * - the underlay's VXLAN capture sees every frame the VXLAN device encapsulated or decapsulated, each 50 bytes
 *   longer on the wire (outer Ethernet, IPv4, UDP, VXLAN headers).
 */
export function kernelExpected(
  role: 'bridge' | 'underlay',
  bridge: string,
  vxlanDev: string,
  before: InterfaceCounters[],
  after: InterfaceCounters[],
): Count | null {
  const prev = new Map(before.map((c) => [c.name, c]));
  const delta = (c: InterfaceCounters, f: 'rxPackets' | 'rxBytes' | 'txPackets' | 'txBytes'): number => {
    const p = prev.get(c.name);
    return p ? Math.max(0, c[f] - p[f]) : 0;
  };
  if (role === 'bridge') {
    const br = after.find((c) => c.name === bridge);
    if (!br || !prev.has(bridge)) return null;
    const ports = after.filter((c) => c.master === bridge);
    return {
      packets: delta(br, 'txPackets') + ports.reduce((n, c) => n + delta(c, 'rxPackets'), 0),
      bytes: delta(br, 'txBytes') + ports.reduce((n, c) => n + delta(c, 'rxBytes'), 0),
    };
  }
  const vx = after.find((c) => c.name === vxlanDev);
  if (!vx || !prev.has(vxlanDev)) return null;
  const packets = delta(vx, 'rxPackets') + delta(vx, 'txPackets');
  return { packets, bytes: delta(vx, 'rxBytes') + delta(vx, 'txBytes') + 50 * packets };
}
