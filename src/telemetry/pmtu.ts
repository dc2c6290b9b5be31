import { run } from '../net/exec.js';
import { inNetns, type NetnsPath } from '../net/netns.js';
import type { PmtuPeer } from '../api/telemetry.js';

/** IPv6 (40) + ICMPv6 echo (8) around ping's payload. */
const ICMP6_OVERHEAD = 48;
const SMALLEST = 104;

/** Whether one don't-fragment echo of `size` bytes (whole IPv6 packet) to `target` on `dev` is answered. */
export type Crosses = (size: number) => Promise<boolean>;

export function pingCrosses(netns: NetnsPath, dev: string, target: string, timeoutS = 0.5): Crosses {
  return async (size) => {
    const [file, args] = inNetns(netns, 'ping', [
      '-6',
      '-n',
      '-q',
      '-M',
      'do',
      '-c',
      '1',
      '-W',
      String(timeoutS),
      '-s',
      String(size - ICMP6_OVERHEAD),
      '-I',
      dev,
      `${target}%${dev}`,
    ]);
    return run(file, args, { timeoutMs: (timeoutS + 5) * 1000 }).then(
      () => true,
      () => false,
    );
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

/** The API's view of one probe's outcome. */
export function verdict(
  peer: { peer: string; nickname: string | null; probeAddress: string | null },
  bridgeMtu: number,
  pathMtu: number | null,
  checkedAt: string,
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
    detail: `packets over ${pathMtu} bytes do not reach ${name}, but the bridge MTU is ${bridgeMtu}: set the overlay MTU to ${pathMtu}, or raise the underlay MTU on the path to ${bridgeMtu + 50}`,
    checkedAt,
  };
}
