/**
 * Anti-entropy of our own while members change. Serf spreads a join by gossip (each message retransmitted
 * about 4·log10(N+1) times) and repairs what gossip lost by a full state exchange with one random member
 * every 30 s (memberlist's push/pull, LAN profile; `serf agent` cannot change it). Under load a host can miss
 * a join's every copy: at 50 hosts and load 100, one host learned of the last member 24.5 s after all others,
 * by that push/pull. So while this host sees members change, it does a push/pull of its own with a random alive
 * member about every second (serf's `join` RPC to a member it knows: memberlist's join is that exchange, both
 * ways, and serf then re-announces this host at its current clock, a message the others drop as not newer).
 *
 * A host that missed the join sees no change, but the push/pull is two-way: the hosts that saw it reach it.
 * With k of N hosts repairing each second, a stale host is missed by all of them with (1-1/(N-1))^k per
 * second: 0.36 for k = N-1 at 50 hosts, so it learns in 1–2 s rather than up to 30.
 *
 * Past REPAIR_SCALE_AT members each host repairs less often, so the mesh-wide rate (each exchange carries the
 * whole member list) stays about REPAIR_SCALE_AT a second however large the mesh. A quiet mesh costs nothing:
 * no member change, no exchange.
 */
export const REPAIR_EVERY_MS = 1_000;
export const REPAIR_SCALE_AT = 64;

/** The mean time between this host's repairs in a mesh of `members`. Pure. */
export function repairEvery(members: number, everyMs = REPAIR_EVERY_MS): number {
  return everyMs * Math.max(1, members / REPAIR_SCALE_AT);
}

/** A random peer, not the one asked last time when there is another. Pure but for `random`. */
export function pickPeer(
  peers: readonly string[],
  last: string | undefined,
  random: () => number = Math.random,
): string | undefined {
  const from = peers.length > 1 ? peers.filter((p) => p !== last) : peers;
  return from[Math.floor(random() * from.length)];
}

export interface RepairDeps {
  /** The alive members other than this host, as `host:port` of their gossip. */
  peers(): string[];
  /** Whether members changed lately, as this host saw it (the member watch's busy window). */
  changing(): boolean;
  /** One full state exchange with the member at `addr`. */
  pushPull(addr: string): Promise<void>;
  log(msg: string): void;
  random?: () => number;
  /** The mean interval at up to REPAIR_SCALE_AT members (tests shorten it). */
  everyMs?: number;
}

/** Counts since start: what status and benches read. */
export interface RepairCounts {
  done: number;
  failed: number;
}

export class GossipRepair {
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #last: string | undefined;
  readonly #total: RepairCounts = { done: 0, failed: 0 };
  /** This change window's exchanges, logged as one line when members stop changing. */
  #window: RepairCounts = { done: 0, failed: 0 };

  constructor(private readonly d: RepairDeps) {}

  get counts(): RepairCounts {
    return { ...this.#total };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#next();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #next(): void {
    if (!this.#running) return;
    const random = this.d.random ?? Math.random;
    // Jittered (0.5–1.5 of the mean), so the hosts that saw one change do not all exchange in step.
    const ms = repairEvery(this.d.peers().length + 1, this.d.everyMs) * (0.5 + random());
    this.#timer = setTimeout(() => void this.#tick(), ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    if (!this.d.changing()) {
      this.#endWindow();
      return this.#next();
    }
    const addr = pickPeer(this.d.peers(), this.#last, this.d.random);
    if (addr !== undefined) {
      this.#last = addr;
      // One at a time, the next only after this one: a slow member (its push/pull times out at serf's
      // TCP timeout) holds back this host's repairs, not the mesh's.
      try {
        await this.d.pushPull(addr);
        this.#window.done++;
        this.#total.done++;
      } catch {
        this.#window.failed++;
        this.#total.failed++;
      }
    }
    this.#next();
  }

  #endWindow(): void {
    const w = this.#window;
    if (w.done + w.failed === 0) return;
    this.d.log(
      `gossip repair: ${w.done} push/pull${w.done === 1 ? '' : 's'} while members changed` +
        (w.failed ? ` (${w.failed} failed)` : ''),
    );
    this.#window = { done: 0, failed: 0 };
  }
}
