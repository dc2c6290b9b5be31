import type { PeerStatus, RouterStatus } from '../../src/router/driver.js';
import type { UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { meshState, router } from './fixtures.js';

/**
 * A 50-host mesh as h1 sees it (what `bench/mesh` builds): 46 peers fine, one whose full-size frames do not
 * cross, one alive in gossip but unreachable over VXLAN, one failed in gossip. Names sort numerically
 * (198.18.0.10 after 198.18.0.9) and the trouble must come first, whatever its place in the agent's list.
 */
const CHECKED = '2025-01-15T14:05:29.000Z';

function peer(i: number): PeerStatus {
  const address = `198.18.0.${i}`;
  const base = { name: address, nickname: `h${i}`, address, self: i === 1, probeAddress: `fe80::${i}` };
  if (i === 1)
    return {
      ...base,
      gossip: 'alive',
      dataPlane: { state: 'unknown', rttMs: null, detail: null, checkedAt: null },
    };
  if (i === 17)
    return {
      ...base,
      gossip: 'alive',
      dataPlane: {
        state: 'mtu-too-small',
        rttMs: 0.3,
        detail: '1450-byte packets do not cross; 1400 do',
        checkedAt: CHECKED,
      },
    };
  if (i === 33)
    return {
      ...base,
      gossip: 'alive',
      dataPlane: {
        state: 'unreachable',
        rttMs: null,
        detail: 'no answer over VXLAN (UDP 4789 blocked?)',
        checkedAt: CHECKED,
      },
    };
  if (i === 48)
    return {
      ...base,
      gossip: 'failed',
      dataPlane: { state: 'unreachable', rttMs: null, detail: 'gossip says failed', checkedAt: CHECKED },
    };
  return {
    ...base,
    gossip: 'alive',
    dataPlane: { state: 'reachable', rttMs: 0.1 + (i % 7) / 10, detail: null, checkedAt: CHECKED },
  };
}

export const router50: RouterStatus = {
  ...router,
  // The agent's order is Serf's, not sorted: the pane sorts.
  peers: Array.from({ length: 50 }, (_, i) => peer(((i * 7) % 50) + 1)),
  connections: [
    { target: '198.18.0.2', state: 'established', error: null, transport: 'vxlan', encrypted: true },
  ],
};

export function mesh50State(): UIState {
  return reducer(meshState(), { type: 'router', router: { available: true, data: router50 } });
}
