import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { run } from '../../net/exec.js';
import { inNetns, type NetnsPath } from '../../net/netns.js';
import { labelBytes, lanKeyBytes } from '../lan-table.js';
import { classidOf, slotOfFlowid, type Slots } from './slots.js';
import { writeConfig } from './config.js';
import { bpftool } from '../../net/bpftool-session.js';
import { agentPins, loadPinned, pinned } from '../../net/bpffs.js';
export { ensureBpffs, pinned } from '../../net/bpffs.js';
export { writeConfig, type Config } from './config.js';
import { mapReader } from '../../net/mapread.js';
import {
  keyBytes,
  parseBatchParts,
  rowsParts,
  SLOT_BYTES,
  type CounterKey,
  type SlotRows,
  type Table,
} from './table.js';

/**
 * The counters' kernel side: bpffs, the pinned programs and map of one agent, tc hooks, map reads.
 * Programs and the map are pinned under the agent's own directory: tc's default pin directory is shared by
 * every agent on a machine (every lab host), and a map shared by agents would count each other's veths.
 */

/** Built by `npm run build` (scripts/build-bpf.sh) when clang is installed. */
export const OBJECT = fileURLToPath(new URL('./counters.bpf.o', import.meta.url));
/** Our filters' priority on a hook: `replace` and `del` find ours by it and leave anyone else's alone. */
const PREF = '49';

export interface Pins {
  root: string;
  progs: string;
  counters: string;
  /** The per-CPU array the veths count in, a slot each (slots.ts). */
  veths: string;
  /** The object's .bss: its global `xnet_config` (libbpf names the map after the object file). */
  config: string;
  /** This host's overlay endpoints by MAC, for the fast path (fast-path.ts). */
  local: string;
  /** The LPM trie a LAN port's other end is looked up in (lan-table.ts). */
  lan: string;
}

export function pinsFor(stateDir: string): Pins {
  const root = agentPins(stateDir);
  return {
    root,
    progs: `${root}/progs`,
    counters: `${root}/maps/xnet_counters`,
    veths: `${root}/maps/xnet_veths`,
    config: `${root}/maps/counters_bss`,
    lan: `${root}/maps/xnet_lan`,
    local: `${root}/maps/xnet_local`,
  };
}

/**
 * Programs and map as pinned by an earlier run of this agent are kept (its hooks still run them); otherwise
 * loaded anew from the object. Returns whether they are new (the caller must hook every interface again).
 */
export async function loadCounters(p: Pins, tunnelPort: number): Promise<boolean> {
  let fresh = false;
  // Pins of an older object (no port programs, no LAN trie, the port in an array map, no veth slots, no fast
  // path) are replaced, not kept.
  const current = await Promise.all(
    [
      p.counters,
      p.veths,
      p.lan,
      p.config,
      p.local,
      `${p.progs}/port_ingress`,
      `${p.progs}/tunnel_ingress`,
    ].map(pinned),
  );
  if (!current.every(Boolean)) {
    await loadPinned(OBJECT, p.root);
    fresh = true;
  }
  await writeConfig(p, { tunnelPort });
  return fresh;
}

export async function unloadCounters(p: Pins): Promise<void> {
  await rm(p.root, { recursive: true, force: true });
}

export interface Hook {
  dev: string;
  /**
   * veth: a container's veth, all peers as one (its ingress also the fast path's way out); port: a LAN
   * bridge's port, by the other end's address; tunnel: the fast path's way in (the VXLAN device's ingress).
   */
  kind: 'veth' | 'port' | 'underlay' | 'tunnel';
  /** A veth's slot in the array (slots.ts), carried to the program as the filter's classid; 0 or absent: none. */
  slot?: number;
}

/** tc batch lines that hook (or re-hook, idempotently) each interface on ingress and egress. */
export function hookLines(p: Pins, hooks: Hook[]): string[] {
  return hooks.flatMap((h) => [
    `qdisc replace dev ${h.dev} clsact`,
    ...(h.kind === 'tunnel' ? (['ingress'] as const) : (['ingress', 'egress'] as const)).map(
      (dir) =>
        `filter replace dev ${h.dev} ${dir} pref ${PREF} handle 1 bpf da object-pinned ${p.progs}/${progOf(h.kind, dir)}` +
        (h.slot ? ` classid ${classidOf(h.slot)}` : ''),
    ),
  ]);
}

/** A container's veth's ingress runs fast_ingress: veth_ingress's counting, and the way to the tunnel. */
export const progOf = (kind: Hook['kind'], dir: 'ingress' | 'egress'): string =>
  kind === 'veth' && dir === 'ingress' ? 'fast_ingress' : `${kind}_${dir}`;

/**
 * One `tc -batch` for all of them, so hooking a new veth costs one process, not three; `batch` runs the lines
 * in `netns` instead (attach's long-lived tc: no process at all).
 */
export async function hook(
  netns: NetnsPath,
  p: Pins,
  hooks: Hook[],
  batch?: (lines: string[]) => Promise<void>,
): Promise<void> {
  if (hooks.length === 0) return;
  if (batch) return batch(hookLines(p, hooks));
  const [file, args] = inNetns(netns, 'tc', ['-batch', '-']);
  await run(file, args, { input: hookLines(p, hooks).join('\n') + '\n', timeoutMs: 5_000 });
}

/** Removes our filters from an interface that stays (the underlay when the router stops). */
export async function unhook(netns: NetnsPath, dev: string): Promise<void> {
  const [file, args] = inNetns(netns, 'tc', ['-force', '-batch', '-']);
  const lines = ['ingress', 'egress'].map((dir) => `filter del dev ${dev} ${dir} pref ${PREF}`);
  await run(file, args, { input: lines.join('\n') + '\n', timeoutMs: 5_000 }).catch(() => undefined);
}

/**
 * Reads the hash and the slots asked (`slots`: slot -> the ifindex of its veth): the hash as a table, each slot
 * as its rows; no process. Through xnet-mapread where it was built (0.5 ms of CPU at 98 entries), else the reads'
 * bpftool session (13 ms: `bench/mapread`). A read that hangs ends its reader, and the caller reports it.
 */
export async function readCounters(
  p: Pins,
  slots: Map<number, number>,
): Promise<{ hash: Table; slotRows: Map<number, SlotRows> }> {
  // xnet-mapread where it was built: the same reads in a few bytes a row (mapread.ts); bpftool otherwise.
  const reader = mapReader();
  if (reader) {
    const hex = (s: number) => Buffer.from(u32Bytes(s)).toString('hex');
    const answers = await reader.run([
      `sum ${p.counters}`,
      ...[...slots.keys()].map((s) => `get ${p.veths} ${hex(s)}`),
    ]);
    return rowsParts(answers, slots);
  }
  const lines = [
    `map dump pinned ${p.counters}`,
    ...[...slots.keys()].map((s) => `map lookup pinned ${p.veths} key ${u32Bytes(s).join(' ')}`),
  ];
  return parseBatchParts(await bpftool('reads').run(lines), slots);
}

const u32Bytes = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];

/**
 * Writes zeros to the freed slots (bpftool writes one value to every CPU's copy), which may then be given
 * again. Through the agent's bpftool session, only when a veth went (or after a restart).
 */
export async function zeroFreed(p: Pins, slots: Slots): Promise<void> {
  const dirty = slots.dirty();
  if (dirty.length === 0) return;
  const zero = new Array<string>(SLOT_BYTES).fill('0').join(' ');
  await bpftool().write(
    dirty.map((s) => `map update pinned ${p.veths} key ${u32Bytes(s).join(' ')} value ${zero}`),
  );
  slots.zeroed(dirty);
}

/**
 * After a restart that kept the map: the veths the last run hooked keep their slots, read back from their
 * filters' classids; every other slot may hold a gone veth's counts, so it waits to be zeroed (by
 * zeroFreed, on the same tick, before any is given again).
 */
export async function adoptSlots(slots: Slots, netns: NetnsPath, devs: string[]): Promise<void> {
  slots.clear();
  try {
    for (const [dev, slot] of await filterSlots(netns, devs)) slots.adopt(dev, slot);
  } finally {
    slots.dirtyAllFree();
  }
}

/**
 * The slots our filters carry on these veths (an agent that restarts finds its veths hooked by the run
 * before): one `tc -batch` in their namespace; where a veth went meanwhile (tc then prints nothing for it),
 * one tc per veth. Veths without our filter, or with one without a slot, are left out.
 */
export async function filterSlots(netns: NetnsPath, devs: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (devs.length === 0) return out;
  /** One JSON list a line, per veth in order; null when tc failed (a veth not there: it prints nothing). */
  const show = async (names: string[]): Promise<string[] | null> => {
    const [file, args] = inNetns(netns, 'tc', ['-j', '-batch', '-']);
    const lines = names.map((d) => `filter show dev ${d} ingress`);
    return run(file, args, { input: lines.join('\n') + '\n', timeoutMs: 10_000 }).then(
      (r) => r.stdout.split('\n').filter((l) => l.trim().startsWith('[')),
      () => null,
    );
  };
  const take = (dev: string, json: string) => {
    const filters = JSON.parse(json) as { pref?: number; options?: { flowid?: string } }[];
    const slot = slotOfFlowid(filters.find((f) => f.pref === Number(PREF) && f.options)?.options?.flowid);
    if (slot) out.set(dev, slot);
  };
  const all = await show(devs);
  if (all?.length === devs.length) devs.forEach((d, i) => take(d, all[i]!));
  else
    for (const d of devs) {
      const one = (await show([d]))?.[0];
      if (one) take(d, one);
    }
  return out;
}

export async function dropKeys(p: Pins, keys: CounterKey[]): Promise<void> {
  if (keys.length === 0) return;
  await bpftool().write(keys.map((k) => `map delete pinned ${p.counters} key ${keyBytes(k).join(' ')}`));
}

/**
 * Makes the LAN trie hold exactly `entries` (cidr -> label): the wanted ones written first, then the others
 * deleted, so a lookup never misses a prefix that stays. Through the agent's bpftool session.
 */
export async function writeLanTable(p: Pins, entries: { cidr: string; label: string }[]): Promise<void> {
  const session = bpftool();
  const dump = await session.one<{ key: string[] }[]>(`map dump pinned ${p.lan}`);
  const have = dump.map((e) => e.key.map((b) => Number(b)));
  const want = entries.map((e) => ({ key: lanKeyBytes(e.cidr), value: labelBytes(e.label) }));
  const wanted = new Set(want.map((w) => w.key.join(' ')));
  const lines = [
    ...want.map((w) => `map update pinned ${p.lan} key ${w.key.join(' ')} value ${w.value.join(' ')}`),
    ...have
      .filter((k) => !wanted.has(k.join(' ')))
      .map((k) => `map delete pinned ${p.lan} key ${k.join(' ')}`),
  ];
  await session.write(lines);
}
