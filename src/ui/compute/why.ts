import type { PmtuPeer } from '../../api/telemetry.js';
import { mtuAdvice } from '../../agent/events/advice.js';
import type { PeerStatus } from '../../router/driver.js';

/**
 * Why a peer is not ok, and what to do, in one line: MTU trouble says the measured path MTU and the MTU to set
 * with its command; otherwise the data plane's own words. Pure.
 */
export function peerWhy(p: PeerStatus, pmtu: readonly PmtuPeer[], underlayMtu: number | null): string {
  if (p.self) return '';
  const m = pmtu.find((x) => x.peer === p.address);
  if (m?.state === 'mismatch' && m.suggestedMtu !== null) {
    // Short enough for the WHY column at 140 columns: the measured figure, the command, the other way out.
    const raise = underlayMtu !== null ? `, or raise the underlay MTU to ${underlayMtu}` : '';
    return m.pathMtu === m.suggestedMtu
      ? `path MTU ${m.pathMtu}: xnet-tui launch --mtu ${m.suggestedMtu}${raise}`
      : `path MTU ${m.pathMtu ?? '?'}: ${mtuAdvice(m.suggestedMtu, underlayMtu)}`;
  }
  return p.dataPlane.detail ?? '';
}
