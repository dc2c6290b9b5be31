/**
 * Anti-entropy of our own after members change. Serf spreads a join by gossip (each message retransmitted
 * about 4·log10(N+1) times) and repairs what gossip lost by a full state exchange with one random member
 * every 30 s (memberlist's push/pull, LAN profile; `serf agent` cannot change it). Under load a host can miss
 * a join's every copy: at 50 hosts and load 100, one host learned of the last member 24.5 s after all others,
 * by that push/pull. So once members have stopped changing for QUIET_MS, as this host saw them, it does
 * REPAIR_ROUNDS push/pulls of its own with random alive members, about a second apart (serf's `join` RPC to a
 * member it knows: memberlist's join is that exchange, both ways; serf then re-announces this host at its
 * current clock, a message the others drop as not newer). While members keep changing, one every
 * REPAIR_MAX_WAIT_MS.
 *
 * A host that missed the join sees no change, but the push/pull is two-way: the hosts that saw it reach it.
 * With N-1 hosts each doing a round, a stale host is missed by all of them with (1-1/(N-1))^(N-1), about 0.37,
 * per round: after five rounds, under 1 %; it learns 2–6 s after the last change rather than up to 30.
 *
 * Why after the change and not during it: every host exchanging every second while a 50-host chain formed
 * (1,500 exchanges a run) slowed every agent's membership syncs by half on this 2-core machine. A quiet mesh
 * costs nothing: no member change, no exchange. Past REPAIR_SCALE_AT members the rounds are spaced wider, so
 * the mesh-wide rate (each exchange carries the whole member list) stays about REPAIR_SCALE_AT a second.
 */
export const REPAIR_EVERY_MS = 1_000;
export const REPAIR_SCALE_AT = 64;
/** How long members must have stayed as they are before the rounds. */
export const QUIET_MS = 2_000;
/** Push/pulls per change, once quiet. */
export const REPAIR_ROUNDS = 5;
/** While members keep changing, one push/pull at least this often. */
export const REPAIR_MAX_WAIT_MS = 10_000;

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
  /** When this host last saw members change (the member watch's clock; 0: never). */
  changedAt(): number;
  /** One full state exchange with the member at `addr`. */
  pushPull(addr: string): Promise<void>;
  log(msg: string): void;
  random?: () => number;
  /** The mean interval at up to REPAIR_SCALE_AT members (tests shorten it, and the two below). */
  everyMs?: number;
  quietMs?: number;
  maxWaitMs?: number;
}

/** Push/pulls done and failed (since start: `counts`; per change: the log line). */
export interface RepairCounts {
  done: number;
  failed: number;
}

export class GossipRepair {
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #last: string | undefined;
  readonly #total: RepairCounts = { done: 0, failed: 0 };
  /** This change's exchanges, logged as one line when its rounds are done. */
  #window: RepairCounts = { done: 0, failed: 0 };
  /** Why this change's last failed exchange failed: the log line says it (a blocked TCP 7946, a member gone). */
  #lastError = '';
  /** The change being repaired (its changedAt), its rounds done, and when the last exchange began. */
  #change = 0;
  #rounds = 0;
  #lastAt = 0;

  constructor(private readonly d: RepairDeps) {}

  get counts(): RepairCounts {
    return { ...this.#total };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#lastAt = Date.now();
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
    const now = Date.now();
    const changed = this.d.changedAt();
    if (changed > this.#change) {
      this.#change = changed;
      this.#rounds = 0;
    }
    const quiet = now - changed >= (this.d.quietMs ?? QUIET_MS);
    const due = changed > 0 && quiet && this.#rounds < REPAIR_ROUNDS;
    const overdue = changed > 0 && !quiet && now - this.#lastAt >= (this.d.maxWaitMs ?? REPAIR_MAX_WAIT_MS);
    const addr = due || overdue ? pickPeer(this.d.peers(), this.#last, this.d.random) : undefined;
    if (addr !== undefined) {
      this.#last = addr;
      this.#lastAt = now;
      if (due) this.#rounds++;
      // One at a time, the next only after this one: a slow member (its push/pull times out at serf's
      // TCP timeout) holds back this host's repairs, not the mesh's.
      try {
        await this.d.pushPull(addr);
        this.#window.done++;
        this.#total.done++;
      } catch (err) {
        this.#lastError = (err as Error).message;
        this.#window.failed++;
        this.#total.failed++;
      }
    }
    if (quiet && this.#rounds >= REPAIR_ROUNDS) this.#endWindow();
    this.#next();
  }

  #endWindow(): void {
    const w = this.#window;
    if (w.done + w.failed === 0) return;
    this.d.log(
      `gossip repair: ${w.done} push/pull${w.done === 1 ? '' : 's'} after members changed` +
        (w.failed ? ` (${w.failed} failed, the last: ${this.#lastError})` : ''),
    );
    this.#window = { done: 0, failed: 0 };
  }
}
