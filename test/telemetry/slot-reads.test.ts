import { describe, expect, it } from 'vitest';
import { SlotReads } from '../../src/telemetry/bpf/slot-reads.js';
import type { SlotRows, Table } from '../../src/telemetry/bpf/table.js';

const rowsOf = (ifindex: number, packets: number): SlotRows => [
  {
    key: { ifindex, peer: '', dir: 0, proto: 1 },
    value: { packets, bytes: packets * 100, segments: packets },
  },
];

/** One read as counters.ts does it: what is asked gets the map's rows now; returns the asked slots and the table. */
function read(
  r: SlotReads,
  inUse: Map<number, number>,
  marks: Map<number, string>,
  map: Map<number, number>,
): { asked: number[]; table: Table } {
  const mark = (i: number) => marks.get(i);
  const asked = r.ask(inUse, mark);
  const rows = new Map([...asked].map(([slot, ifindex]) => [slot, rowsOf(ifindex, map.get(slot) ?? 0)]));
  const table = r.merge(new Map(), inUse, asked, rows, mark);
  return { asked: [...asked.keys()], table };
}

const packets = (t: Table) => [...t.values()].map((e) => `${e.key.ifindex}:${e.value.packets}`).sort();

describe('SlotReads', () => {
  it('looks up an idle slot no more once its mark has stood still for a read, and keeps its rows', () => {
    const r = new SlotReads();
    const inUse = new Map([
      [1, 10],
      [2, 11],
    ]);
    const marks = new Map([
      [10, 'a'],
      [11, 'b'],
    ]);
    const map = new Map([
      [1, 5],
      [2, 7],
    ]);
    expect(read(r, inUse, marks, map).asked).toEqual([1, 2]); // the first read is a full one
    expect(read(r, inUse, marks, map).asked).toEqual([1, 2]); // once more after the marks stood still
    const third = read(r, inUse, marks, map);
    expect(third.asked).toEqual([]);
    expect(packets(third.table)).toEqual(['10:5', '11:7']);
  });

  it('looks up a slot whose veth moved, and once more after, catching a frame counted late', () => {
    const r = new SlotReads();
    const inUse = new Map([[1, 10]]);
    const marks = new Map([[10, 'a']]);
    const map = new Map([[1, 5]]);
    read(r, inUse, marks, map);
    read(r, inUse, marks, map);
    marks.set(10, 'b'); // the interface counted a frame the map has not yet
    expect(read(r, inUse, marks, map).asked).toEqual([1]);
    map.set(1, 6); // the backlog ran: the hook counted it
    const after = read(r, inUse, marks, map);
    expect(after.asked).toEqual([1]);
    expect(packets(after.table)).toEqual(['10:6']);
    expect(read(r, inUse, marks, map).asked).toEqual([]);
  });

  it('looks up a slot given to another veth, and one whose mark is unknown', () => {
    const r = new SlotReads();
    const marks = new Map([
      [10, 'a'],
      [12, 'a'],
    ]);
    const map = new Map([[1, 3]]);
    read(r, new Map([[1, 10]]), marks, map);
    read(r, new Map([[1, 10]]), marks, map);
    expect(read(r, new Map([[1, 12]]), marks, map).asked).toEqual([1]);
    expect(read(r, new Map([[1, 99]]), marks, map).asked).toEqual([1]);
  });

  it('forgets a slot no longer in use, and reads all every tenth time', () => {
    const r = new SlotReads();
    const marks = new Map([
      [10, 'a'],
      [11, 'a'],
    ]);
    const map = new Map([
      [1, 1],
      [2, 2],
    ]);
    const both = new Map([
      [1, 10],
      [2, 11],
    ]);
    read(r, both, marks, map);
    read(r, both, marks, map);
    expect(packets(read(r, new Map([[1, 10]]), marks, map).table)).toEqual(['10:1']);
    // Slot 2 back in use (same veth, same mark) is read again: its kept rows were dropped.
    expect(read(r, both, marks, map).asked).toEqual([2]);
    const asked: number[][] = [];
    for (let i = 4; i < 12; i++) asked.push(read(r, both, marks, map).asked);
    expect(asked.filter((a) => a.length === 2)).toHaveLength(1); // read 10 (the 11th) is full
  });

  it('after forget() the next read is a full one', () => {
    const r = new SlotReads();
    const inUse = new Map([[1, 10]]);
    const marks = new Map([[10, 'a']]);
    read(r, inUse, marks, new Map());
    read(r, inUse, marks, new Map());
    r.forget();
    expect(read(r, inUse, marks, new Map()).asked).toEqual([1]);
  });
});
