import type { PeerRates, Result } from '../../api/index.js';
import type { Feature, SplitState } from './model.js';

/**
 * The Traffic pane's peer rows from the agent's `rates`, only while its counter reader is live: a stopped,
 * failed or stale reader is said in the pane (with the age of its last read) instead of its last figures,
 * and without eBPF the pane says that per-peer figures need it. Pure.
 */
export function peerRatesFeature(r: Result<'rates'>): Feature<PeerRates[]> {
  const c = r.counters;
  if (c.state !== 'running' && c.state !== 'stopped') {
    const age = c.ageMs === null ? '' : `, last read ${Math.round(c.ageMs / 1000)} s ago`;
    return { available: false, reason: `traffic counters ${c.state} (${c.source}${age}): ${c.reason ?? ''}` };
  }
  if (r.source === 'interface-counters')
    return {
      available: false,
      reason: 'per peer: none (eBPF counters unavailable; totals from interface counters, no protocol split)',
    };
  return { available: true, data: r.peers };
}

/** Packets and the protocol split of this host's bridge and containers, from the same `rates` answer. Pure. */
export function splitOf(r: Result<'rates'>): SplitState {
  return {
    source: r.source,
    bridge: r.bridge,
    containers: new Map(r.containers.map((c) => [c.container, c.series])),
    others: r.others ?? [],
  };
}
