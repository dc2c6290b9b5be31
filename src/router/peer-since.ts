import type { PeerStatus } from './driver.js';

/**
 * Since when each peer has been in its state, as this agent decided it (BGP's Up/Down column): a change of state
 * starts the clock at the change's time, the same state leaves it. Pure bookkeeping, in memory: the caller says
 * when it decided (a membership read, a probe line), and a restarted agent starts every clock again.
 */
export class StateSince<S extends string> {
  readonly #at = new Map<string, { state: S; since: number }>();

  /** `key` is in `state` as of `at`; returns since when it has been so. */
  observe(key: string, state: S, at: number): number {
    const was = this.#at.get(key);
    if (was?.state === state) return was.since;
    // Never before the state it replaces began: a line read late can carry an older time than the last change.
    const since = was ? Math.max(at, was.since) : at;
    this.#at.set(key, { state, since });
    return since;
  }

  /** The state `key` was last seen in (undefined: never). */
  state(key: string): S | undefined {
    return this.#at.get(key)?.state;
  }

  /** Forgets every key but these (a member reaped and back later starts anew). */
  keep(keys: Iterable<string>): void {
    const kept = new Set(keys);
    for (const k of [...this.#at.keys()]) if (!kept.has(k)) this.#at.delete(k);
  }

  clear(): void {
    this.#at.clear();
  }
}

/** A peer's gossip and data-plane clocks, keyed by its name. */
export class PeerClocks {
  readonly #gossip = new StateSince<PeerStatus['gossip']>();
  readonly #dataPlane = new StateSince<PeerStatus['dataPlane']['state']>();

  /** The peers' states as decided at `at`, given back with their since (a change only this read sees is dated by it). */
  stamp(peers: readonly PeerStatus[], at: number): PeerStatus[] {
    return peers.map((p) => ({
      ...p,
      gossipSince: this.#gossip.observe(p.name, p.gossip, at),
      dataPlane: { ...p.dataPlane, since: this.#dataPlane.observe(p.name, p.dataPlane.state, at) },
    }));
  }

  /** The data-plane state a peer was last stamped in. */
  dataPlaneState(name: string): PeerStatus['dataPlane']['state'] | undefined {
    return this.#dataPlane.state(name);
  }

  /** Keeps only these peers' clocks. */
  keep(names: readonly string[]): void {
    this.#gossip.keep(names);
    this.#dataPlane.keep(names);
  }

  clear(): void {
    this.#gossip.clear();
    this.#dataPlane.clear();
  }
}

/**
 * How long a peer has been as it is now: the later of its two clocks (a peer alive for an hour that became
 * reachable a minute ago has been so for a minute); undefined when the agent gave neither.
 */
export function peerSince(p: PeerStatus): number | undefined {
  const known = [p.gossipSince, p.dataPlane.since].filter((x): x is number => x !== undefined);
  return known.length > 0 ? Math.max(...known) : undefined;
}
