import type { ProtocolCounts, RateSample } from '../api/telemetry.js';
import type { PeerCounters } from '../router/driver.js';
import { PROTOCOLS } from './frame.js';

/** A tunnel-counter driver's per-peer samples (ovs-gre's GRE ports); pure. Counting is the kernel's (counters.ts). */

function protocols(row: ArrayLike<number>, packetsAt: number, bytesAt: number): ProtocolCounts {
  const out = {} as ProtocolCounts;
  PROTOCOLS.forEach((p, i) => (out[p] = { packets: row[packetsAt + i]!, bytes: row[bytesAt + i]! }));
  return out;
}

const ZERO_ROW: number[] = new Array<number>(10).fill(0);

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
