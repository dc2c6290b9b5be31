import type { PingState } from '../api/telemetry.js';
import { tooBig } from '../router/data-plane.js';
import type { DriverDescription } from '../router/description.js';
import { mtuAdvice } from '../router/mtu-advice.js';

/**
 * The automatic check `host -> peer` from its two probe streams (small, and full-size with don't-fragment);
 * pure. The driver's Peers data-plane state reads the same streams (router/data-plane.ts), so they agree.
 */

/** The automatic check's state: the small probes', or down when only full-size packets fail to cross. */
export function peerCheckState(small: PingState, full: PingState): PingState {
  return tooBig(small, full) ? 'down' : small;
}

/**
 * Why a check is down when only full-size packets fail, with the driver's fix (the overlay MTU to set where it
 * takes one, when measured). Short: it is the Peers and Pings panes' WHY column.
 */
export function fullSizeWhy(packetBytes: number, mtuToSet: number | null, driver: DriverDescription): string {
  return `${packetBytes}-byte packets do not cross; ${mtuAdvice(driver, { fits: mtuToSet, bridgeMtu: null })}`;
}
