import type { PingState } from '../api/telemetry.js';
import { tooBig } from '../router/data-plane.js';

/**
 * The automatic check `host -> peer` from its two probe streams (small, and full-size with don't-fragment);
 * pure. The driver's Peers data-plane state reads the same streams (router/data-plane.ts), so they agree.
 */

/** The automatic check's state: the small probes', or down when only full-size packets fail to cross. */
export function peerCheckState(small: PingState, full: PingState): PingState {
  return tooBig(small, full) ? 'down' : small;
}

/** Why a check is down when only full-size packets fail, with the overlay MTU to set when it is measured. */
export function fullSizeWhy(packetBytes: number, mtuToSet: number | null): string {
  const fix =
    mtuToSet !== null
      ? `set the overlay MTU to ${mtuToSet}: xnet-tui launch --mtu ${mtuToSet}`
      : 'set a smaller overlay MTU (the path MTU probe is measuring which): xnet-tui launch --mtu N';
  return `${packetBytes}-byte packets do not cross; ${fix}`;
}
