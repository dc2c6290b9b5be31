import type { Pins } from './kernel.js';
import { bpftool } from '../../net/bpftool-session.js';

/**
 * The fast path's map of this host's overlay endpoints (counters.bpf.c, `xnet_local`): MAC -> the container's
 * host-side veth and counter slot, or ifindex 0 for an endpoint that is not a container (the bridge, the
 * host's link). A unicast frame from a container to a MAC not in it goes straight to the tunnel; a frame the
 * tunnel brings for a container in it goes straight into the container's namespace. Bytes pure, I/O below.
 */

export interface LocalEntry {
  mac: string;
  /** The container's host-side veth; 0: not a container, or not known yet (the bridge carries its frames). */
  ifindex: number;
  slot: number;
}

/** `struct local_key`: six MAC bytes and two of padding. */
export function localKeyBytes(mac: string): number[] {
  const octets = mac.split(':').map((x) => parseInt(x, 16));
  if (octets.length !== 6 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
    throw new Error(`not a MAC address: ${mac}`);
  return [...octets, 0, 0];
}

const u32 = (n: number): number[] => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];

/** `struct local`: u32 ifindex, u32 slot. */
export const localValueBytes = (e: LocalEntry): number[] => [...u32(e.ifindex), ...u32(e.slot)];

/** Key text -> value text, as the map holds them (bytes as decimal, space-separated). */
export type LocalMap = Map<string, string>;

/**
 * bpftool lines that make the map hold exactly `want`: changed and new entries written first, then the others
 * deleted. A MAC that stays is never missing on the way (a container's frames to it would go to the tunnel).
 */
export function localLines(p: Pins, have: LocalMap, want: LocalEntry[]): string[] {
  const wanted = new Map(want.map((e) => [localKeyBytes(e.mac).join(' '), localValueBytes(e).join(' ')]));
  return [
    ...[...wanted]
      .filter(([k, v]) => have.get(k) !== v)
      .map(([k, v]) => `map update pinned ${p.local} key ${k} value ${v}`),
    ...[...have.keys()].filter((k) => !wanted.has(k)).map((k) => `map delete pinned ${p.local} key ${k}`),
  ];
}

/** The map as the kernel holds it. */
export async function readLocal(p: Pins): Promise<LocalMap> {
  const entries = await bpftool().one<{ key: string[]; value: string[] }[]>(`map dump pinned ${p.local}`);
  const text = (bytes: string[]) => bytes.map((b) => Number(b)).join(' ');
  return new Map(entries.map((e) => [text(e.key), text(e.value)]));
}

/** Through the agent's bpftool session: no process. */
export async function writeLocal(lines: string[]): Promise<void> {
  await bpftool().write(lines);
}
