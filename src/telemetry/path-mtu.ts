import pLimit from 'p-limit';
import type { PingCheck, PmtuPeer } from '../api/telemetry.js';
import type { ProbePlan } from '../router/data-plane.js';
import type { RouterStatus } from '../router/driver.js';
import { describeDriver } from '../router/descriptions.js';
import { largestCrossing, loopsStarting, pathFromLoops, pingCrosses, verdict } from './pmtu.js';

/**
 * The path MTU to every peer, on telemetry's tick: when it is due, from what the probe loops already say or by a
 * search from the driver's probe point. Its own timing (every 10 s, sooner when a full-size check fails), so
 * it lives apart from the counters' one-second reading.
 */

export const PMTU_EVERY_MS = 10_000;
/** A full-size check down while the path MTU still reads ok: probe again this soon, for the number to set. */
const PMTU_SOON_MS = 2_000;
/** Path MTU searches at once: each is a run of single pings. */
const PMTU_SEARCHES = 4;

const pending = (
  who: { peer: string; nickname: string | null; probeAddress: string | null },
  detail: string,
): PmtuPeer => ({ ...who, pathMtu: null, state: 'pending', suggestedMtu: null, detail, checkedAt: null });

export class PathMtu {
  #peers = new Map<string, PmtuPeer>();
  #busy = false;
  #last = 0;
  readonly #searching = pLimit(PMTU_SEARCHES);

  constructor(private readonly log: (msg: string) => void) {}

  /**
   * Time for a probe: its beat, or sooner when a peer's full-size probes are lost (`fullSizeDown`: those peers)
   * while its path reads ok.
   */
  due(fullSizeDown: () => readonly string[], now = Date.now()): boolean {
    const since = now - this.#last;
    if (this.#busy) return false;
    if (since >= PMTU_EVERY_MS) return true;
    return (
      since >= PMTU_SOON_MS && fullSizeDown().some((peer) => this.#peers.get(peer)?.state !== 'mismatch')
    );
  }

  /** The overlay MTU the last probe says to set for a peer, if any. */
  suggested(peer: string): number | null {
    return this.#peers.get(peer)?.suggestedMtu ?? null;
  }

  /**
   * The largest DF packet to every peer: from the probe loops where they tell, else by binary search with ping
   * from the plan's probe point, a few peers at a time (at 50 hosts, searching every peer at once was hundreds
   * of pings on the machine). Peers outside the plan stay pending.
   */
  async probe(
    r: RouterStatus | undefined,
    plan: ProbePlan | undefined,
    checks: readonly PingCheck[],
  ): Promise<void> {
    const mtu = r?.bridge.mtu;
    this.#last = Date.now();
    if (!r || r.state !== 'running' || !mtu || !r.driver) {
      this.#peers.clear();
      return;
    }
    this.#busy = true;
    try {
      const peers = r.peers.filter((p) => !p.self);
      for (const known of this.#peers.keys())
        if (!peers.some((p) => p.address === known)) this.#peers.delete(known);
      await Promise.all(
        peers.map(async (p) => {
          const who = { peer: p.address, nickname: p.nickname || null, probeAddress: p.probeAddress ?? null };
          if (!p.probeAddress) {
            this.#peers.set(p.address, pending(who, 'the peer publishes no probe address'));
            return;
          }
          if (!plan?.targets.includes(p.probeAddress)) {
            this.#peers.set(p.address, pending(who, "not in the driver's probe plan yet"));
            return;
          }
          const check = checks.find((x) => x.kind === 'auto' && x.peer === p.address);
          if (loopsStarting(check)) return;
          const known = pathFromLoops(check, mtu);
          const { netns, dev } = plan.point;
          const largest =
            known !== undefined
              ? known
              : await this.#searching(() => largestCrossing(pingCrosses(netns, dev, p.probeAddress!), mtu));
          const before = this.#peers.get(p.address);
          const v = verdict(who, mtu, largest, new Date().toISOString(), describeDriver(r.driver!));
          if (before && before.state !== v.state)
            this.log(
              `path MTU to ${p.address}: ${before.state} -> ${v.state}${v.detail ? ` (${v.detail})` : ''}`,
            );
          this.#peers.set(p.address, v);
        }),
      );
    } finally {
      this.#busy = false;
    }
  }

  /** Every peer of the router as last seen, probed or not yet. */
  view(r: RouterStatus | undefined): { bridgeMtu: number | null; intervalMs: number; peers: PmtuPeer[] } {
    const peers = (r?.peers ?? []).filter((p) => !p.self);
    return {
      bridgeMtu: r?.bridge.mtu ?? null,
      intervalMs: PMTU_EVERY_MS,
      peers: peers.map(
        (p) =>
          this.#peers.get(p.address) ??
          pending(
            { peer: p.address, nickname: p.nickname || null, probeAddress: p.probeAddress ?? null },
            'not probed yet',
          ),
      ),
    };
  }
}
