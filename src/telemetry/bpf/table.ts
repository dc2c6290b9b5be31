import type { Count, ProtocolCounts, RateSample } from '../../api/telemetry.js';
import { PROTOCOLS } from '../frame.js';

/**
 * The counter map as the agent sees it, and the per-second samples made from two readings of it. Pure.
 * The map's key and value are counters.bpf.c's `struct key` and `struct value`; bpftool prints them
 * "formatted" from the object's BTF, one value per CPU.
 */

export const INGRESS = 0;
export const EGRESS = 1;

export interface CounterKey {
  ifindex: number;
  /** Outer IPv4 address as dotted text on the underlay; a LAN port's label (lan-table.ts); '' on a veth. */
  peer: string;
  dir: number;
  proto: number;
}

export interface CounterValue {
  packets: number;
  bytes: number;
  segments: number;
}

/** Key text -> the sum over CPUs. */
export type Table = Map<string, { key: CounterKey; value: CounterValue }>;

export const keyText = (k: CounterKey): string => `${k.ifindex}/${k.peer}/${k.dir}/${k.proto}`;

/** `peer` is an IPv4 address in network order that bpftool read as a little-endian u32. */
export function ipv4OfKey(n: number): string {
  return n === 0 ? '' : [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

interface DumpEntry {
  formatted?: {
    key: { ifindex: number; peer: number; dir: number; proto: number };
    values: { cpu: number; value: CounterValue }[];
  };
}

/** Parses `bpftool -j map dump` of the counter map. Throws when it is not that map (no BTF, another layout). */
export function parseDump(json: string): Table {
  return dumpTable(JSON.parse(json));
}

/** parseDump of the dump already parsed (a batch's output). */
export function dumpTable(dump: unknown): Table {
  const entries = dump as DumpEntry[];
  if (!Array.isArray(entries)) throw new Error('bpftool map dump: not a list');
  const table: Table = new Map();
  for (const e of entries) {
    const f = e.formatted;
    if (!f) throw new Error('bpftool map dump: no formatted entries (the object has no BTF)');
    const key: CounterKey = {
      ifindex: f.key.ifindex,
      peer: ipv4OfKey(f.key.peer),
      dir: f.key.dir,
      proto: f.key.proto,
    };
    const value = { packets: 0, bytes: 0, segments: 0 };
    for (const v of f.values) {
      value.packets += v.value.packets;
      value.bytes += v.value.bytes;
      value.segments += v.value.segments;
    }
    table.set(keyText(key), { key, value });
  }
  return table;
}

/** counters.bpf.c's `struct slot`: [2 directions][5 protocols] of struct value (3 u64). */
export const SLOT_BYTES = 2 * 5 * 3 * 8;

interface SlotLookup {
  formatted?: { key: number; values: { cpu: number; value: { c: CounterValue[][] } }[] };
}

/**
 * Parses `bpftool -j batch` of kernel.ts's readCounters: the hash's dump, then one lookup per slot in use.
 * A slot's counts join the table under its veth's key (ifindex, no peer, direction, protocol), added to what
 * the hash holds for it (a veth hooked before without a slot); counters that are still zero are left out, as
 * the hash has no entry for what never counted.
 */
export function parseBatch(json: string, slots: Map<number, number>): Table {
  const { hash, slotRows } = parseBatchParts(JSON.parse(json), slots);
  for (const rows of slotRows.values()) addRows(hash, rows);
  return hash;
}

/** One slot's counters as table rows (its veth's key per direction and protocol), zeros left out. */
export type SlotRows = { key: CounterKey; value: CounterValue }[];

/** parseBatch's two parts, apart: the hash, and each slot's rows (so a reader may keep a slot it did not ask). */
export function parseBatchParts(
  results: unknown,
  slots: Map<number, number>,
): { hash: Table; slotRows: Map<number, SlotRows> } {
  const out = results as { output?: unknown }[];
  if (!Array.isArray(out) || out.length !== slots.size + 1)
    throw new Error(
      `bpftool batch: ${Array.isArray(out) ? out.length : 'no'} results for ${slots.size + 1} commands`,
    );
  const hash = dumpTable(out[0]!.output ?? []);
  const slotRows = new Map<number, SlotRows>();
  for (const r of out.slice(1)) {
    const f = (r.output as SlotLookup | undefined)?.formatted;
    if (!f) throw new Error('bpftool map lookup: no formatted value (the object has no BTF)');
    const ifindex = slots.get(f.key);
    if (ifindex === undefined) continue;
    slotRows.set(
      f.key,
      rowsOfSlot(ifindex, (dir, proto) => {
        const value = { packets: 0, bytes: 0, segments: 0 };
        for (const v of f.values) {
          const c = v.value.c[dir]![proto]!;
          value.packets += c.packets;
          value.bytes += c.bytes;
          value.segments += c.segments;
        }
        return value;
      }),
    );
  }
  return { hash, slotRows };
}

/** A slot's rows under its veth's key, one per direction and protocol that counted; `at` gives each value. */
function rowsOfSlot(ifindex: number, at: (dir: number, proto: number) => CounterValue): SlotRows {
  const rows: SlotRows = [];
  for (let dir = 0; dir < 2; dir++)
    for (let proto = 0; proto < 5; proto++) {
      const value = at(dir, proto);
      if (value.packets > 0) rows.push({ key: { ifindex, peer: '', dir, proto }, value });
    }
  return rows;
}

/** counters.bpf.c's `struct key`: ifindex (u32), peer (u32, network order), dir (u8), proto (u8), pad. */
const KEY_BYTES = 12;
/** `struct value` is three u64 words: packets, bytes, segments. */
const VALUE_WORDS = 3;

/**
 * readCounters' answers from xnet-mapread (mapread.ts): the hash's rows, then each slot's (its key and
 * `struct slot`'s 30 words, each summed over the CPUs), as parseBatchParts makes them from bpftool's JSON.
 * Throws when the rows are not this layout. Pure.
 */
export function rowsParts(
  answers: readonly { key: Buffer; words: readonly number[] }[][],
  slots: Map<number, number>,
): { hash: Table; slotRows: Map<number, SlotRows> } {
  if (answers.length !== slots.size + 1)
    throw new Error(`xnet-mapread: ${answers.length} answers for ${slots.size + 1} commands`);
  const hash: Table = new Map();
  for (const { key: k, words } of answers[0]!) {
    if (k.length !== KEY_BYTES || words.length !== VALUE_WORDS)
      throw new Error(
        `xnet-mapread: a ${k.length}-byte key with ${words.length} words is not the counter map's`,
      );
    const key: CounterKey = {
      ifindex: k.readUInt32LE(0),
      peer: ipv4OfKey(k.readUInt32LE(4)),
      dir: k[8]!,
      proto: k[9]!,
    };
    hash.set(keyText(key), { key, value: { packets: words[0]!, bytes: words[1]!, segments: words[2]! } });
  }
  const slotRows = new Map<number, SlotRows>();
  for (const answer of answers.slice(1)) {
    const found = answer[0];
    if (!found) continue;
    if (found.key.length !== 4 || found.words.length !== SLOT_BYTES / 8)
      throw new Error('xnet-mapread: a slot that is not struct slot');
    const slot = found.key.readUInt32LE(0);
    const ifindex = slots.get(slot);
    if (ifindex === undefined) continue;
    const w = found.words;
    slotRows.set(
      slot,
      rowsOfSlot(ifindex, (dir, proto) => {
        const at = (dir * 5 + proto) * VALUE_WORDS;
        return { packets: w[at]!, bytes: w[at + 1]!, segments: w[at + 2]! };
      }),
    );
  }
  return { hash, slotRows };
}

/** Adds rows into the table, summed with what it holds under the same key. */
export function addRows(table: Table, rows: SlotRows): void {
  for (const { key, value } of rows) {
    const had = table.get(keyText(key))?.value;
    table.set(keyText(key), {
      key,
      value: had
        ? {
            packets: value.packets + had.packets,
            bytes: value.bytes + had.bytes,
            segments: value.segments + had.segments,
          }
        : { ...value },
    });
  }
}

/** What moved between two readings, per key (a key new since `before` counts from zero; one that went back, i.e. was dropped and made anew, too). */
export function delta(before: Table, after: Table): Table {
  const out: Table = new Map();
  for (const [k, a] of after) {
    const b = before.get(k)?.value;
    const back = b !== undefined && a.value.packets < b.packets;
    const base = !b || back ? { packets: 0, bytes: 0, segments: 0 } : b;
    out.set(k, {
      key: a.key,
      value: {
        packets: a.value.packets - base.packets,
        bytes: a.value.bytes - base.bytes,
        segments: a.value.segments - base.segments,
      },
    });
  }
  return out;
}

const zeroProtocols = (): ProtocolCounts =>
  Object.fromEntries(PROTOCOLS.map((p) => [p, { packets: 0, bytes: 0 }])) as ProtocolCounts;

/**
 * One endpoint's second from a delta: the entries of `ifindex` (and `peer`, on the underlay; null: every
 * peer, a LAN port's whole traffic). `rxDir` is the hook direction that is the endpoint's rx: a container
 * receives what leaves its host-side veth (egress); a peer's rx is what came from it (underlay ingress).
 */
export function sampleOf(
  d: Table,
  t: number,
  ifindex: number,
  peer: string | null,
  rxDir: number,
): RateSample {
  return sampleWhere(d, t, (k) => k.ifindex === ifindex && (peer === null || k.peer === peer), rxDir);
}

/** The second of every entry `match` takes (a LAN peer: its label on every port), rx being `rxDir`. */
export function sampleWhere(
  d: Table,
  t: number,
  match: (k: CounterKey) => boolean,
  rxDir: number,
): RateSample {
  const rx: Count = { packets: 0, bytes: 0 };
  const tx: Count = { packets: 0, bytes: 0 };
  const segments = { rx: 0, tx: 0 };
  const protocols = zeroProtocols();
  for (const { key, value } of d.values()) {
    if (!match(key)) continue;
    const side = key.dir === rxDir ? rx : tx;
    side.packets += value.packets;
    side.bytes += value.bytes;
    segments[key.dir === rxDir ? 'rx' : 'tx'] += value.segments;
    const p = protocols[PROTOCOLS[key.proto] ?? 'other'];
    p.packets += value.packets;
    p.bytes += value.bytes;
  }
  return { t, rx, tx, protocols, segments };
}

/** The sum of samples of the same second (the bridge: all of this host's containers). */
export function sumSamples(t: number, samples: RateSample[]): RateSample {
  const out: RateSample = {
    t,
    rx: { packets: 0, bytes: 0 },
    tx: { packets: 0, bytes: 0 },
    protocols: zeroProtocols(),
    segments: { rx: 0, tx: 0 },
  };
  for (const s of samples) {
    out.rx.packets += s.rx.packets;
    out.rx.bytes += s.rx.bytes;
    out.tx.packets += s.tx.packets;
    out.tx.bytes += s.tx.bytes;
    for (const p of PROTOCOLS) {
      out.protocols[p].packets += s.protocols[p].packets;
      out.protocols[p].bytes += s.protocols[p].bytes;
    }
    out.segments!.rx += s.segments?.rx ?? 0;
    out.segments!.tx += s.segments?.tx ?? 0;
  }
  return out;
}

/** Keys of entries on interfaces that are no longer hooked (a detached veth): to delete from the map. */
export function staleKeys(t: Table, hooked: ReadonlySet<number>): CounterKey[] {
  return [...t.values()].filter((e) => !hooked.has(e.key.ifindex)).map((e) => e.key);
}

/** A key as the bytes `bpftool map delete ... key` takes (struct key: u32 ifindex, u32 peer, u8 dir, u8 proto, u16 pad). */
export function keyBytes(k: CounterKey): number[] {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(k.ifindex, 0);
  const octets = k.peer ? k.peer.split('.').map(Number) : [0, 0, 0, 0];
  octets.forEach((o, i) => b.writeUInt8(o, 4 + i));
  b.writeUInt8(k.dir, 8);
  b.writeUInt8(k.proto, 9);
  return [...b];
}
