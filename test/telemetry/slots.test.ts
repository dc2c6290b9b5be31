import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hookLines, pinsFor } from '../../src/telemetry/bpf/kernel.js';
import { classidOf, Slots, slotOfFlowid } from '../../src/telemetry/bpf/slots.js';
import { EGRESS, INGRESS, parseBatch, parseDump, sampleOf } from '../../src/telemetry/bpf/table.js';

// A real `bpftool -j batch` of kernel.ts's readCounters (the hash's dump, then slot 26's lookup): veth va
// (ifindex 2) hooked without a slot, pinged 3 times from its peer (ICMP and ARP counted in the hash); then
// hooked anew with classid 1:1a (slot 26) and pinged twice with 1400 bytes (counted in the slot). va's own
// tx counter moved by 6 packets and 3,220 bytes meanwhile (fixtures/counters-batch.json).
const batch = readFileSync(join(import.meta.dirname, 'fixtures', 'counters-batch.json'), 'utf8');

describe("the veths' slots", () => {
  it('gives the lowest free slot, never 0, and 0 (the hash) when none is left', () => {
    const s = new Slots(4);
    expect([s.take('a'), s.take('b'), s.take('c'), s.take('d')]).toEqual([1, 2, 3, 0]);
    expect(s.get('b')).toBe(2);
    expect(s.get('d')).toBe(0);
  });

  it('gives a freed slot again only once it is zeroed', () => {
    const s = new Slots(4);
    s.take('a');
    s.take('b');
    s.free('a');
    expect(s.dirty()).toEqual([1]);
    expect(s.take('c')).toBe(3); // 1 still holds a's counts
    expect(s.take('d')).toBe(0);
    s.zeroed([1]);
    expect(s.take('d')).toBe(1);
    expect(s.dirty()).toEqual([]);
  });

  it('frees the old slot of a veth hooked anew under the same name', () => {
    const s = new Slots(8);
    expect(s.take('v')).toBe(1);
    expect(s.take('v')).toBe(2);
    expect(s.dirty()).toEqual([1]);
    expect(s.entries()).toEqual([['v', 2]]);
  });

  it('after a restart keeps the slots read back from the filters and zeroes every other', () => {
    const s = new Slots(6);
    expect(s.adopt('a', 4)).toBe(true);
    expect(s.adopt('b', 4)).toBe(false); // two filters cannot share one slot's counts
    expect(s.adopt('c', 0)).toBe(false);
    expect(s.adopt('c', 6)).toBe(false);
    s.dirtyAllFree();
    expect(s.dirty()).toEqual([1, 2, 3, 5]);
    expect(s.take('b')).toBe(0);
    s.zeroed(s.dirty());
    expect(s.take('b')).toBe(1);
    expect(s.get('a')).toBe(4);
  });

  it("reads a filter's slot from tc's flowid (hex) and writes the classid in hex", () => {
    expect(slotOfFlowid('1:1a')).toBe(26);
    expect(slotOfFlowid('ffff:3')).toBe(3);
    expect(slotOfFlowid(undefined)).toBe(0);
    expect(slotOfFlowid('1:0')).toBe(0);
    expect(slotOfFlowid('1:400')).toBe(0); // 1024: past the array
    expect(classidOf(26)).toBe('1:1a');
    expect(slotOfFlowid(classidOf(1023))).toBe(1023);
  });

  it("hooks a veth with its slot as the filter's classid, and a veth without one as before", () => {
    const p = pinsFor('/var/lib/xnet-a');
    expect(hookLines(p, [{ dev: 'vx1', kind: 'veth', slot: 26 }])).toEqual([
      'qdisc replace dev vx1 clsact',
      `filter replace dev vx1 ingress pref 49 handle 1 bpf da object-pinned ${p.progs}/fast_ingress classid 1:1a`,
      `filter replace dev vx1 egress pref 49 handle 1 bpf da object-pinned ${p.progs}/veth_egress classid 1:1a`,
    ]);
    expect(hookLines(p, [{ dev: 'vx1', kind: 'veth', slot: 0 }])[1]).not.toContain('classid');
  });
});

describe('a reading of the hash and the slots together', () => {
  it("adds a slot's counts to its veth's hash entries, by direction and protocol", () => {
    const t = parseBatch(batch, new Map([[26, 2]]));
    const s = sampleOf(t, 0, 2, '', EGRESS);
    expect(s.rx).toEqual({ packets: 6, bytes: 3220 }); // what va sent: its tx counter moved as much
    expect(s.tx).toEqual({ packets: 6, bytes: 3220 }); // the echo requests it got, the same frames' sizes
    // Hash: 3 requests and 3 replies of 98 bytes, ARP both ways; slot: 2 requests and 2 replies of 1442.
    expect(s.protocols.icmp).toEqual({ packets: 10, bytes: 6 * 98 + 4 * 1442 });
    expect(s.protocols.arp).toEqual({ packets: 2, bytes: 84 });
    const hashOnly = parseDump(JSON.stringify((JSON.parse(batch) as { output: unknown }[])[0]!.output));
    expect(sampleOf(hashOnly, 0, 2, '', INGRESS).protocols.icmp).toEqual({ packets: 6, bytes: 6 * 98 });
  });

  it('counts a slot under the ifindex given for it, leaves out one never asked, refuses a short batch', () => {
    const moved = parseBatch(batch, new Map([[26, 7]]));
    expect(sampleOf(moved, 0, 7, '', INGRESS).protocols.icmp).toEqual({ packets: 4, bytes: 4 * 1442 });
    expect(sampleOf(moved, 0, 2, '', INGRESS).protocols.icmp).toEqual({ packets: 6, bytes: 6 * 98 });
    const other = parseBatch(batch, new Map([[25, 2]]));
    expect(sampleOf(other, 0, 2, '', INGRESS).protocols.icmp).toEqual({ packets: 6, bytes: 6 * 98 });
    expect(() => parseBatch(batch, new Map())).toThrow(/2 results for 1 commands/);
  });
});
