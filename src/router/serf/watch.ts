import type { SerfMember } from './rpc.js';

/**
 * `serf agent` holds member events back until a second passes without one (at most 3 s: the coalescer its
 * command sets up, not configurable), so a mesh forming waited that long on every host before the agent saw a
 * join, programmed its device and probed the new peer. The members RPC answers from memberlist's state at once:
 * read every BUSY_EVERY_MS while members change (the window reopens at each change, however it was seen) and
 * every IDLE_EVERY_MS otherwise (one loopback RPC a second: a join into a quiet mesh is seen within it). The
 * event stream still wakes the sync; this only sees changes earlier.
 */
export const BUSY_EVERY_MS = 250;
export const IDLE_EVERY_MS = 1_000;
/** How long after the last change seen the members are read at the busy rate. */
export const BUSY_FOR_MS = 5_000;

/**
 * A full read at least this often even when serf's counts say nothing changed: a member's tags can change
 * without moving them (the event stream says so too, held back by serf's coalescer).
 */
export const FULL_READ_EVERY_MS = 5_000;

/**
 * What of serf's stats moves with every change a member read would show: the member count, the failed and
 * left counts, and the Lamport clock of join and leave intents (a host that restarts and rejoins moves it
 * even when no count changes). Undefined when the stats lack them (an older serf: read the members). Pure.
 */
export function statsSignature(
  stats: Record<string, Record<string, string>> | undefined,
): string | undefined {
  const s = stats?.serf;
  if (!s || [s.members, s.failed, s.left, s.member_time].some((v) => v === undefined)) return undefined;
  return `${s.members}/${s.failed}/${s.left}/${s.member_time}`;
}

/** What of a member a sync acts on: name, address, state and tags. Pure. */
export function membersKey(members: readonly SerfMember[]): string {
  return JSON.stringify(
    members
      .map((m) => [m.name, m.addr, m.port, m.status, Object.entries(m.tags).sort()] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
}

/** Members as one read saw them, and when that read began (a later read may answer first under load). */
export interface MembersRead {
  members: SerfMember[];
  at: number;
}

export class MemberWatch {
  #timer: NodeJS.Timeout | undefined;
  #busyUntil = 0;
  #running = false;
  /** Serf's stats signature when the members were last read, and when that was. */
  #readSignature: string | undefined;
  #readAt = 0;

  constructor(
    /** The members now, or undefined when serf cannot be asked (not running). */
    private readonly read: () => Promise<SerfMember[] | undefined>,
    /** The key of the members the last sync handed on. */
    private readonly synced: () => string,
    /** Members differ from what was synced: sync, with what was read and when the read began (no second read). */
    private readonly changed: (read: MembersRead) => void,
    /**
     * Serf's stats signature now (statsSignature), asked before each read: while it stays what it was at the
     * last read, and the last read is younger than FULL_READ_EVERY_MS, the members are not read. A stats
     * answer is a few hundred bytes whatever the mesh; a members answer at 50 hosts was 10 KB to decode and key,
     * four times a second on every host while a mesh formed. Undefined: read every tick.
     */
    private readonly signature?: () => Promise<string | undefined>,
  ) {}

  start(): void {
    this.#running = true;
    this.busy();
  }

  stop(): void {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** When this host last saw members change (0: not since start). */
  get changedAt(): number {
    return this.#busyUntil === 0 ? 0 : this.#busyUntil - BUSY_FOR_MS;
  }

  /** Something changed (an event, a join, a sync that found new members): read at the busy rate for a while. */
  busy(): void {
    this.#busyUntil = Date.now() + BUSY_FOR_MS;
    if (this.#running && this.#timer === undefined) this.#next(BUSY_EVERY_MS);
  }

  #next(ms: number): void {
    this.#timer = setTimeout(() => void this.#tick(), ms);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const at = Date.now();
    const signature = await this.signature?.().catch(() => undefined);
    if (!this.#running) return;
    if (
      signature !== undefined &&
      signature === this.#readSignature &&
      at - this.#readAt < FULL_READ_EVERY_MS
    )
      return this.#next(Date.now() < this.#busyUntil ? BUSY_EVERY_MS : IDLE_EVERY_MS);
    const members = await this.read().catch(() => undefined);
    if (!this.#running) return;
    // Taken before the read: a change between the two moves the next signature, and is read then.
    this.#readSignature = members ? signature : undefined;
    this.#readAt = at;
    if (members && membersKey(members) !== this.synced()) {
      this.#busyUntil = Date.now() + BUSY_FOR_MS;
      this.changed({ members, at });
    }
    this.#next(Date.now() < this.#busyUntil ? BUSY_EVERY_MS : IDLE_EVERY_MS);
  }
}

/**
 * Which members the next sync takes: the newest read the watch handed over, unless a request came without one
 * (an event, a connect: read afresh) or the read began before the one the last sync took (older news that
 * answered late). Pure bookkeeping, no I/O.
 */
export class NextRead {
  #given: MembersRead | undefined;
  #mustRead = false;
  #syncedAt = 0;

  /** A sync was asked for, with what the watch read or without. */
  offer(read?: MembersRead): void {
    if (!read) this.#mustRead = true;
    else if (read.at >= (this.#given?.at ?? 0)) this.#given = read;
  }

  /** What the sync starting now takes (undefined: read the members); clears what was offered. */
  take(): MembersRead | undefined {
    const given = this.#mustRead || !this.#given || this.#given.at < this.#syncedAt ? undefined : this.#given;
    this.#given = undefined;
    this.#mustRead = false;
    return given;
  }

  /** The sync took members read at `at`. */
  synced(at: number): void {
    this.#syncedAt = at;
  }

  reset(): void {
    this.#given = undefined;
    this.#mustRead = false;
    this.#syncedAt = 0;
  }
}
