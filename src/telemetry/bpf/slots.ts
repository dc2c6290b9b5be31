/**
 * The veths' slots in the counters' per-CPU array (counters.bpf.c, `xnet_veths`): which veth counts in which
 * entry. Pure. The agent gives a slot when it hooks a veth (the tc filter's classid carries it to the
 * program), frees it when the veth goes, and zeroes a freed slot before giving it again, so a veth's counts
 * always start from zero. Slot 0 is none (the program counts such a veth in the hash, by ifindex).
 */

/** counters.bpf.c's VETH_SLOTS: entries 1 .. SLOTS-1 are given out. */
export const SLOTS = 1024;

export class Slots {
  /** veth name -> slot. */
  #used = new Map<string, number>();
  /** Freed, not zeroed yet: given to no one until `zeroed` says the map holds zeros there. */
  #dirty = new Set<number>();
  readonly #size: number;

  constructor(size = SLOTS) {
    this.#size = size;
  }

  /** The lowest slot neither used nor waiting to be zeroed; 0 when none is left (the veth counts in the hash). */
  take(name: string): number {
    this.free(name);
    const taken = new Set(this.#used.values());
    for (let s = 1; s < this.#size; s++)
      if (!taken.has(s) && !this.#dirty.has(s)) {
        this.#used.set(name, s);
        return s;
      }
    return 0;
  }

  /** A veth's slot as an earlier run of the agent gave it (read back from its filter); false when taken. */
  adopt(name: string, slot: number): boolean {
    if (slot <= 0 || slot >= this.#size || [...this.#used.values()].includes(slot)) return false;
    this.#dirty.delete(slot);
    this.#used.set(name, slot);
    return true;
  }

  /** The veth is gone (or hooked anew): its slot waits to be zeroed. */
  free(name: string): void {
    const s = this.#used.get(name);
    if (s === undefined) return;
    this.#used.delete(name);
    this.#dirty.add(s);
  }

  /** After a restart that kept the map: every slot not adopted may hold a gone veth's counts. */
  dirtyAllFree(): void {
    const taken = new Set(this.#used.values());
    for (let s = 1; s < this.#size; s++) if (!taken.has(s)) this.#dirty.add(s);
  }

  get(name: string): number {
    return this.#used.get(name) ?? 0;
  }

  dirty(): number[] {
    return [...this.#dirty].sort((a, b) => a - b);
  }

  /** The map holds zeros at these slots now: they may be given again. */
  zeroed(slots: number[]): void {
    for (const s of slots) this.#dirty.delete(s);
  }

  /** A new map (loaded anew): every slot is zero and free. */
  clear(): void {
    this.#used.clear();
    this.#dirty.clear();
  }

  entries(): [string, number][] {
    return [...this.#used];
  }
}

/**
 * The slot in one of our filters as `tc -j filter show` prints it: `flowid` "major:minor", both in hex (tc
 * reads and writes classids in hex); the program sees the minor. 0 when the filter carries none.
 */
export function slotOfFlowid(flowid: string | undefined): number {
  const minor = flowid?.split(':')[1];
  const n = minor ? parseInt(minor, 16) : 0;
  return Number.isInteger(n) && n > 0 && n < SLOTS ? n : 0;
}

/** The classid that gives a filter slot `slot` (tc's syntax: hex). */
export const classidOf = (slot: number): string => `1:${slot.toString(16)}`;
