import { addRows, type SlotRows, type Table } from './table.js';

/** Every this many reads, every slot in use is looked up, moved or not. */
const FULL_EVERY = 10;

/**
 * Which veth slots to look up this second, and the rows of those it does not. A slot's counters move only when
 * its veth carries a frame, and the veth's interface counters (read each second anyway) move with them: an
 * idle veth's slot is not looked up again. A lookup costs ~4.7 KB of bpftool JSON on two CPUs, so 200 idle
 * containers were ~1 MB to parse a second.
 * - A slot is looked up once more on the read after its mark stopped moving: the veth's rx counts a frame when
 *   it is queued, our ingress hook when the backlog runs, so a frame may be in the mark before it is in the map.
 * - A frame our hook counts and the interface drops lands in its dropped counters, which the mark includes.
 * - Every FULL_EVERY reads all slots are looked up all the same, so a count the interface counters miss would
 *   be late by at most that.
 * Pure.
 */
export class SlotReads {
  /** `settled`: looked up at least once after its mark stopped moving. */
  #kept = new Map<number, { mark: string; rows: SlotRows; settled: boolean }>();
  #reads = 0;

  /**
   * The slots to look up now, from those in use (slot -> its veth's ifindex) and what each veth's interface
   * counters say now (`mark`: undefined where unknown, which is always looked up).
   */
  ask(
    inUse: ReadonlyMap<number, number>,
    mark: (ifindex: number) => string | undefined,
  ): Map<number, number> {
    const full = this.#reads++ % FULL_EVERY === 0;
    const out = new Map<number, number>();
    for (const [slot, ifindex] of inUse) {
      const m = mark(ifindex);
      const kept = this.#kept.get(slot);
      if (full || m === undefined || !kept?.settled || kept.mark !== `${ifindex}:${m}`)
        out.set(slot, ifindex);
    }
    return out;
  }

  /**
   * The hash's table with every slot in use added: the rows just read for those asked (kept with their
   * mark), the kept rows for the others. Slots no longer in use are forgotten.
   */
  merge(
    hash: Table,
    inUse: ReadonlyMap<number, number>,
    asked: ReadonlyMap<number, number>,
    rows: ReadonlyMap<number, SlotRows>,
    mark: (ifindex: number) => string | undefined,
  ): Table {
    for (const [slot, ifindex] of asked) {
      const m = mark(ifindex);
      const r = rows.get(slot) ?? [];
      const had = this.#kept.get(slot);
      const key = `${ifindex}:${m}`;
      if (m === undefined) this.#kept.delete(slot);
      else this.#kept.set(slot, { mark: key, rows: r, settled: had?.mark === key });
      addRows(hash, r);
    }
    for (const slot of [...this.#kept.keys()]) if (!inUse.has(slot)) this.#kept.delete(slot);
    for (const [slot] of inUse) if (!asked.has(slot)) addRows(hash, this.#kept.get(slot)?.rows ?? []);
    return hash;
  }

  /** The map was loaded anew or a read failed: nothing kept is trusted. */
  forget(): void {
    this.#kept.clear();
    this.#reads = 0;
  }
}
