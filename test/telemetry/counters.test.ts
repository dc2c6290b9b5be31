import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  delta,
  EGRESS,
  INGRESS,
  ipv4OfKey,
  keyBytes,
  parseDump,
  sampleOf,
  staleKeys,
  sumSamples,
} from '../../src/telemetry/bpf/table.js';
import { readerHealth, type ReaderRecord } from '../../src/telemetry/health.js';
import { hookLines, pinsFor } from '../../src/telemetry/bpf/kernel.js';
import { localKeyBytes, localLines } from '../../src/telemetry/bpf/local-table.js';

// A real `bpftool -j map dump` of the counter map: veth vb (ifindex 2) hooked, its peer va in another
// namespace pinged vb 3 times and then 2 times with 1400 bytes; then `ip -s link show vb` said
// rx 9 packets 3346 bytes, tx 6 packets 3220 bytes (fixtures/counters-dump.json).
const dump = readFileSync(join(import.meta.dirname, 'fixtures', 'counters-dump.json'), 'utf8');

describe('the eBPF counter table', () => {
  it('sums every CPU and agrees with the interface counters of the same veth', () => {
    const t = parseDump(dump);
    const s = sampleOf(t, 0, 2, '', INGRESS);
    // Seen from the hooked interface: ingress is what vb received (its rx counter).
    expect(s.rx).toEqual({ packets: 9, bytes: 3346 });
    expect(s.tx).toEqual({ packets: 6, bytes: 3220 });
    expect(s.protocols.icmp).toEqual({ packets: 10, bytes: 6356 });
    expect(s.protocols.arp).toEqual({ packets: 5, bytes: 210 });
    expect(s.protocols.tcp.packets + s.protocols.udp.packets + s.protocols.other.packets).toBe(0);
    expect(s.segments).toEqual({ rx: 9, tx: 6 });
    // A container's rx is its host end's egress.
    expect(sampleOf(t, 0, 2, '', EGRESS).rx).toEqual({ packets: 6, bytes: 3220 });
    expect(sampleOf(t, 0, 3, '', EGRESS).rx).toEqual({ packets: 0, bytes: 0 });
  });

  it('refuses a dump without BTF-formatted entries rather than guessing the layout', () => {
    const raw = JSON.parse(dump) as { formatted?: unknown }[];
    for (const e of raw) delete e.formatted;
    expect(() => parseDump(JSON.stringify(raw))).toThrow(/no formatted entries/);
  });

  it('takes differences between readings; a new key counts from zero, one made anew too', () => {
    const after = parseDump(dump);
    const before = parseDump(dump);
    const icmpIn = [...before.values()].find((e) => e.key.proto === 2 && e.key.dir === INGRESS)!;
    icmpIn.value = { packets: 2, bytes: 196, segments: 2 };
    const arpOut = [...before.keys()].find(
      (k) => before.get(k)!.key.proto === 3 && before.get(k)!.key.dir === EGRESS,
    )!;
    before.delete(arpOut);
    const d = delta(before, after);
    const s = sampleOf(d, 1000, 2, '', INGRESS);
    expect(s.t).toBe(1000);
    expect(s.rx).toEqual({ packets: 5 - 2, bytes: 3178 - 196 }); // ICMP in moved by 3; ARP in did not move
    expect(s.tx).toEqual({ packets: 1, bytes: 42 }); // ARP out is new: all of it
    // A counter that went back (entry dropped and made anew) counts from zero, never negative.
    const d2 = delta(after, before);
    expect(sampleOf(d2, 0, 2, '', INGRESS).rx).toEqual({ packets: 2, bytes: 196 });
  });

  it('sums containers into the bridge row', () => {
    const t = parseDump(dump);
    const a = sampleOf(t, 0, 2, '', EGRESS);
    const sum = sumSamples(0, [a, a]);
    expect(sum.rx).toEqual({ packets: 12, bytes: 6440 });
    expect(sum.protocols.arp.packets).toBe(10);
  });

  it('names the entries of an unhooked interface for deletion, as bpftool takes a key', () => {
    const t = parseDump(dump);
    expect(staleKeys(t, new Set([2]))).toEqual([]);
    expect(staleKeys(t, new Set([7]))).toHaveLength(4);
    expect(keyBytes({ ifindex: 2, peer: '198.18.0.2', dir: 1, proto: 3 })).toEqual([
      2, 0, 0, 0, 198, 18, 0, 2, 1, 3, 0, 0,
    ]);
    // bpftool prints the network-order address as a little-endian u32.
    expect(ipv4OfKey(0x020012c6)).toBe('198.18.0.2');
    expect(ipv4OfKey(0)).toBe('');
  });

  it('pins per agent, and hooks with our own priority so replace and delete touch only ours', () => {
    const a = pinsFor('/var/lib/xnet');
    expect(a.root).toMatch(/^\/sys\/fs\/bpf\/xnet\/[0-9a-f]{16}$/);
    expect(pinsFor('/var/lib/xnet/')).toEqual(a);
    expect(pinsFor('/var/lib/xnet-lab/h2/xnet').root).not.toBe(a.root);
    expect(hookLines(a, [{ dev: 'vx1', kind: 'veth' }])).toEqual([
      'qdisc replace dev vx1 clsact',
      `filter replace dev vx1 ingress pref 49 handle 1 bpf da object-pinned ${a.progs}/fast_ingress`,
      `filter replace dev vx1 egress pref 49 handle 1 bpf da object-pinned ${a.progs}/veth_egress`,
    ]);
    // The fast path's way in: the tunnel device's ingress only (its egress is the tunnel's own business).
    expect(hookLines(a, [{ dev: 'xnet-vx', kind: 'tunnel' }])).toEqual([
      'qdisc replace dev xnet-vx clsact',
      `filter replace dev xnet-vx ingress pref 49 handle 1 bpf da object-pinned ${a.progs}/tunnel_ingress`,
    ]);
  });

  it("writes the fast path's map of local endpoints: changes first, then what went, keys padded", () => {
    const a = pinsFor('/var/lib/xnet');
    expect(localKeyBytes('0e:4a:38:a9:30:95')).toEqual([14, 74, 56, 169, 48, 149, 0, 0]);
    expect(() => localKeyBytes('0e:4a:38')).toThrow(/not a MAC/);
    const stay = localKeyBytes('0e:00:00:00:00:01').join(' ');
    const gone = localKeyBytes('0e:00:00:00:00:02').join(' ');
    const have = new Map([
      [stay, '0 0 0 0 0 0 0 0'],
      [gone, '5 0 0 0 1 0 0 0'],
    ]);
    const lines = localLines(a, have, [
      { mac: '0e:00:00:00:00:01', ifindex: 260, slot: 3 },
      { mac: 'be:ef:00:00:00:01', ifindex: 0, slot: 0 },
    ]);
    expect(lines).toEqual([
      `map update pinned ${a.local} key ${stay} value 4 1 0 0 3 0 0 0`,
      `map update pinned ${a.local} key 190 239 0 0 0 1 0 0 value 0 0 0 0 0 0 0 0`,
      `map delete pinned ${a.local} key ${gone}`,
    ]);
    // Nothing changed: nothing to write.
    const now = new Map([
      [stay, '4 1 0 0 3 0 0 0'],
      ['190 239 0 0 0 1 0 0', '0 0 0 0 0 0 0 0'],
    ]);
    expect(
      localLines(a, now, [
        { mac: '0e:00:00:00:00:01', ifindex: 260, slot: 3 },
        { mac: 'be:ef:00:00:00:01', ifindex: 0, slot: 0 },
      ]),
    ).toEqual([]);
  });
});

describe('the counter reader as shown', () => {
  const base: ReaderRecord = {
    source: 'ebpf',
    stopped: null,
    lastOkAt: 10_000,
    lastError: null,
    startedAt: 1_000,
    readMs: 6,
  };

  it('is running while reads keep coming', () => {
    expect(readerHealth(11_000, base)).toMatchObject({ state: 'running', ageMs: 1_000, reason: null });
  });

  it('is stale, with the age, when reads stop coming (a hung reader or loop)', () => {
    const h = readerHealth(14_000, base);
    expect(h).toMatchObject({ state: 'stale', ageMs: 4_000, reason: 'no read for 4 s' });
    expect(h.since).toBe(new Date(10_000).toISOString());
  });

  it('is failed, with the error and the age of the last good read, when a read fails', () => {
    const h = readerHealth(13_000, {
      ...base,
      lastError: { at: 12_000, message: 'reading the counter map: boom' },
    });
    expect(h.state).toBe('failed');
    expect(h.reason).toBe('reading the counter map: boom; last good read 3 s ago');
    expect(h.ageMs).toBe(3_000);
  });

  it('is stopped with why, whatever the last read was', () => {
    expect(readerHealth(99_000, { ...base, stopped: 'the router is stopped' })).toMatchObject({
      state: 'stopped',
      reason: 'the router is stopped',
    });
  });

  it('is not stale in its first seconds, before a read could finish', () => {
    expect(readerHealth(2_000, { ...base, lastOkAt: null }).state).toBe('running');
    expect(readerHealth(5_000, { ...base, lastOkAt: null })).toMatchObject({
      state: 'stale',
      reason: 'no read has finished yet',
    });
  });
});
