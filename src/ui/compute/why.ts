import type { PmtuPeer } from '../../api/telemetry.js';
import type { PeerStatus, RouterStatus } from '../../router/driver.js';
import { describeDriver } from '../../router/descriptions.js';
import { mtuAdvice } from '../../router/mtu-advice.js';

/**
 * Why a peer is not ok, and what to do, in one line: MTU trouble says the measured path MTU and the driver's
 * fix (the MTU to set and its command where it takes one); otherwise the data plane's own words. Pure.
 */
export function peerWhy(
  p: PeerStatus,
  pmtu: readonly PmtuPeer[],
  r: Pick<RouterStatus, 'driver' | 'bridge'>,
): string {
  if (p.self) return '';
  const m = pmtu.find((x) => x.peer === p.address);
  if (m?.state === 'mismatch' && m.suggestedMtu !== null && r.driver) {
    // Short enough for the WHY column at 140 columns: the measured figure, then the driver's way out.
    const terse = m.pathMtu === m.suggestedMtu;
    const fit = { fits: m.suggestedMtu, bridgeMtu: r.bridge.mtu, terse };
    return `path MTU ${m.pathMtu ?? '?'}: ${mtuAdvice(describeDriver(r.driver), fit)}`;
  }
  return p.dataPlane.detail ?? '';
}
