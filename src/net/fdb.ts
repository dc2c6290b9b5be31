import { batchSession } from './batch-session.js';
import type { NetnsPath } from './netns.js';

/** The forwarding database of a VXLAN device: which VTEP a MAC (or, for 00:00:00:00:00:00, flooding) goes to. */
export interface FdbEntry {
  mac: string;
  dst?: string;
  flags?: string[];
  state?: string;
}

export const FLOOD_MAC = '00:00:00:00:00:00';

/** `bridge fdb show dev DEV`, from the namespace's long-lived `bridge -batch` (no process per read). */
export function fdbEntries(netns: NetnsPath, dev: string): Promise<FdbEntry[]> {
  return batchSession(netns, 'bridge').show<FdbEntry>(`fdb show dev ${dev}`);
}

/** `bridge -batch` lines through the same session; stops at the first that fails, as `bridge -batch` does. */
export function fdbBatch(netns: NetnsPath, lines: readonly string[]): Promise<void> {
  return batchSession(netns, 'bridge').write(lines);
}

/**
 * The changes that make a VXLAN device flood to exactly `vteps` (head-end replication) and forget MACs it
 * learned behind VTEPs that are no longer wanted. Pure, so the reconciliation is testable without a kernel.
 */
export function fdbPlan(dev: string, current: readonly FdbEntry[], vteps: readonly string[]): string[] {
  const want = new Set(vteps);
  const flooding = new Set(current.filter((e) => e.mac === FLOOD_MAC && e.dst).map((e) => e.dst!));
  const lines: string[] = [];
  for (const v of want) if (!flooding.has(v)) lines.push(`fdb append ${FLOOD_MAC} dev ${dev} dst ${v}`);
  for (const e of current) {
    if (!e.dst || want.has(e.dst)) continue;
    lines.push(`fdb del ${e.mac} dev ${dev} dst ${e.dst}`);
  }
  return lines;
}
