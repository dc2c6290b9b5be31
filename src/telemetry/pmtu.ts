import { inNetns, type NetnsPath } from '../net/netns.js';
import { exitCodeOf } from '../net/spawner.js';
import type { PingCheck, PmtuPeer } from '../api/telemetry.js';
import { fullSizePayload, scopedTarget } from '../router/data-plane.js';
import type { DriverDescription } from '../router/description.js';
import { mtuAdvice } from '../router/mtu-advice.js';

const SMALLEST = 104;

/** Whether one don't-fragment echo of `size` bytes (whole IP packet) to `target` on `dev` is answered. */
export type Crosses = (size: number) => Promise<boolean>;

export function pingCrosses(netns: NetnsPath, dev: string, target: string, timeoutS = 0.5): Crosses {
  return async (size) => {
    const [file, args] = inNetns(netns, 'ping', [
      target.includes(':') ? '-6' : '-4',
      '-n',
      '-q',
      '-M',
      'do',
      '-c',
      '1',
      '-W',
      String(timeoutS),
      '-s',
      String(fullSizePayload(size, target)),
      '-I',
      dev,
      scopedTarget(target, dev),
    ]);
    // Through the agent's spawner: a search is a run of these, and each was a fork of the agent.
    return (await exitCodeOf(file, args, (timeoutS + 5) * 1000)) === 0;
  };
}

/**
 * The largest packet that crosses, by binary search between a small packet and `upTo` (the bridge MTU:
 * nothing larger leaves it with DF set). Null when not even a small one crosses.
 */
export async function largestCrossing(crosses: Crosses, upTo: number): Promise<number | null> {
  if (await crosses(upTo)) return upTo;
  // One lost probe is not a verdict: ask the small size twice before calling the peer unreachable.
  if (!(await crosses(SMALLEST)) && !(await crosses(SMALLEST))) return null;
  let lo = SMALLEST;
  let hi = upTo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await crosses(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The API's view of one probe's outcome; the fix is the driver's (its description's MTU). */
export function verdict(
  peer: { peer: string; nickname: string | null; probeAddress: string | null },
  bridgeMtu: number,
  pathMtu: number | null,
  checkedAt: string,
  driver: DriverDescription,
): PmtuPeer {
  const name = peer.nickname ? `${peer.nickname} (${peer.peer})` : peer.peer;
  if (pathMtu === null)
    return {
      ...peer,
      pathMtu,
      state: 'unreachable',
      suggestedMtu: null,
      detail: `not even ${SMALLEST}-byte packets reach ${name} over the overlay`,
      checkedAt,
    };
  if (pathMtu >= bridgeMtu)
    return { ...peer, pathMtu, state: 'ok', suggestedMtu: null, detail: null, checkedAt };
  return {
    ...peer,
    pathMtu,
    state: 'mismatch',
    suggestedMtu: pathMtu,
    detail: `packets over ${pathMtu} bytes do not reach ${name}, but the bridge MTU is ${bridgeMtu}: ${mtuAdvice(driver, { fits: pathMtu, bridgeMtu })}`,
    checkedAt,
  };
}

/**
 * What a peer's automatic check (the host's probe loops) already says of its path, so no ping is spawned for
 * it: full-size probes answered (the path carries the bridge MTU: up, or degraded, where some were lost but
 * one answered, and a don't-fragment packet of that size crossed), or small and full-size both lost (nothing
 * crosses). Undefined when only a search can tell: small answered and every full-size lost, or no loop for
 * that peer. On a loaded host probes time out now and then; degraded full-size streams were searched with a
 * dozen `ping` processes each, on every host, while a 50-host mesh formed.
 */
export function pathFromLoops(check: PingCheck | undefined, bridgeMtu: number): number | null | undefined {
  const full = check?.fullSize;
  if (!check || !full || full.packetBytes < bridgeMtu) return undefined;
  if (full.state === 'up' || full.state === 'degraded') return bridgeMtu;
  if (full.state === 'down' && check.state === 'down' && !check.why) return null;
  return undefined;
}

/**
 * The peer's probe loops have not said anything yet (a peer that just joined): no search now, the loops' first
 * answers settle most peers without one. At 50 hosts forming a mesh, searching every new peer at once was
 * thousands of `ping` processes on the machine.
 */
export function loopsStarting(check: PingCheck | undefined): boolean {
  return check?.state === 'pending' || check?.fullSize?.state === 'pending';
}
