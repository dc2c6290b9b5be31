import { describe, expect, it } from 'vitest';
import { containerMac, hostVethName } from '../../src/net/veth.js';
import type { Link } from '../../src/telemetry/counters-input.js';
import { localEntries, readOthersAgain } from '../../src/telemetry/fast-path.js';

describe("readOthersAgain: when the fast path reads the bridge's and host link's MACs", () => {
  it('reads them for a new tunnel device, and keeps them for the same one', () => {
    expect(readOthersAgain(undefined, 7, 0)).toBe(true);
    const found = { tunnel: 7, macs: ['02:00:00:00:00:01'], at: 0 };
    expect(readOthersAgain(found, 7, 3_600_000)).toBe(false);
    expect(readOthersAgain(found, 8, 1_000)).toBe(true);
  });

  it('keeps a miss (a tunnel without its bridge) for a while instead of asking ip every tick', () => {
    const missed = { tunnel: 7, macs: null, at: 50_000 };
    expect(readOthersAgain(missed, 7, 51_000)).toBe(false);
    expect(readOthersAgain(missed, 7, 59_999)).toBe(false);
    expect(readOthersAgain(missed, 7, 60_000)).toBe(true);
    expect(readOthersAgain(missed, 9, 51_000)).toBe(true);
  });
});

describe("localEntries: the containers' entries a tick writes, beside what attach wrote since its input", () => {
  const id = 'c'.repeat(64);
  const mac = containerMac(id);
  const veth = hostVethName(id);
  const link = (ifindex: number): Link => ({
    name: veth,
    ifindex,
    kind: 'veth',
    master: 'xnet',
    operstate: 'up',
    rxBytes: 0,
    txBytes: 0,
    rxPackets: 0,
    txPackets: 0,
    rxErrors: 0,
    txErrors: 0,
    rxDropped: 0,
    txDropped: 0,
  });
  const slots = { get: (name: string) => (name === veth ? 5 : 0) };
  const listed = [{ id, hostIfname: veth }];

  it('keeps a MAC attach wrote after the input was read, though the input does not list it yet', () => {
    const attaching = new Map([[mac, 1_000]]);
    expect(localEntries({ at: 900, containers: [] }, new Map(), slots, attaching)).toEqual([
      { mac, ifindex: 0, slot: 0 },
    ]);
    // Nor while attach has not recorded it (its end is up before the record step).
    expect(localEntries({ at: 2_000, containers: [] }, new Map(), slots, attaching)).toEqual([
      { mac, ifindex: 0, slot: 0 },
    ]);
    expect(attaching.has(mac)).toBe(true);
  });

  it('never gives a re-plugged container the veth of an input read before the plug', () => {
    const attaching = new Map([[mac, 1_000]]);
    expect(
      localEntries({ at: 900, containers: listed }, new Map([[veth, link(41)]]), slots, attaching),
    ).toEqual([{ mac, ifindex: 0, slot: 0 }]);
    // An input read after attach's write lists it: its veth and slot, and attach's entry is the tick's again.
    expect(
      localEntries({ at: 1_001, containers: listed }, new Map([[veth, link(42)]]), slots, attaching),
    ).toEqual([{ mac, ifindex: 42, slot: 5 }]);
    expect(attaching.size).toBe(0);
  });

  it('lets go of a MAC no input lists after 30 s (an attach rolled back)', () => {
    const attaching = new Map([[mac, 1_000]]);
    expect(localEntries({ at: 31_000, containers: [] }, new Map(), slots, attaching)).toHaveLength(1);
    expect(localEntries({ at: 31_001, containers: [] }, new Map(), slots, attaching)).toEqual([]);
    expect(attaching.size).toBe(0);
  });
});
