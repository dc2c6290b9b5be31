import type { RouterStatus } from '../router/driver.js';
import { lanDetailsOf } from '../router/driver.js';

/**
 * Who is at the other end of a LAN port's frame (bridge driver): the prefixes the eBPF port programs look the
 * other end's IPv4 address up in (an LPM trie), each with the label counted as the key's peer. Pure.
 * Labels are addresses, so a reading names its row by itself: a member's LAN address (its slice and its own
 * address), this host's, the gateway's (and everything routed beyond it), the LAN's network address (the rest
 * of the LAN, broadcast and multicast with it); no label ('') is what is not IPv4 (IPv6, other ethertypes).
 */

export interface LanEntry {
  cidr: string;
  label: string;
}

export type RemoteKind = 'member' | 'this-host' | 'gateway' | 'lan' | 'other';

export interface LanView {
  /** The NIC in the bridge: a port, but the LAN's, not a container's. */
  nic: string;
  /** The LAN's CIDR (198.18.0.0/24). */
  lan: string;
  gateway: string | null;
  self: { address: string; subnet: string | null };
  members: { address: string; subnet: string | null }[];
}

/** The LAN as the running router reports it, when it reports one (the bridge driver's status details). */
export function lanView(r: RouterStatus): LanView | undefined {
  const lan = lanDetailsOf(r);
  const self = r.peers.find((p) => p.self);
  if (!lan || !r.listen) return undefined;
  return {
    nic: lan.nic,
    lan: lan.lan,
    gateway: lan.gateway,
    self: { address: r.listen, subnet: lan.slice ?? self?.subnet ?? null },
    members: r.peers.filter((p) => !p.self).map((p) => ({ address: p.address, subnet: p.subnet ?? null })),
  };
}

const networkOf = (cidr: string): string => cidr.split('/')[0]!;

/** The trie's entries: the longest prefix wins, so a member's /32 and slice stand out of the LAN's /24. */
export function lanTable(v: LanView): LanEntry[] {
  const lan = networkOf(v.lan);
  const out = new Map<string, string>();
  if (v.gateway) out.set('0.0.0.0/0', v.gateway);
  out.set(v.lan, lan);
  out.set('255.255.255.255/32', lan);
  out.set('224.0.0.0/4', lan);
  if (v.gateway) out.set(`${v.gateway}/32`, v.gateway);
  for (const m of [v.self, ...v.members]) {
    if (m.subnet) out.set(m.subnet, m.address);
    out.set(`${m.address}/32`, m.address);
  }
  return [...out].map(([cidr, label]) => ({ cidr, label })).sort((a, b) => a.cidr.localeCompare(b.cidr));
}

/** What a label read back from the counters stands for. */
export function remoteKind(v: LanView, label: string): RemoteKind {
  if (label === '') return 'other';
  if (label === v.self.address) return 'this-host';
  if (v.members.some((m) => m.address === label)) return 'member';
  if (label === v.gateway) return 'gateway';
  if (label === networkOf(v.lan)) return 'lan';
  // A member that left since the reading: its frames went to its address, which is on the LAN.
  return 'lan';
}

/** The label text of the non-member rows, in words. */
export function remoteLabel(v: LanView, kind: Exclude<RemoteKind, 'member'>): string {
  switch (kind) {
    case 'this-host':
      return `this host (${v.self.address}, its slice)`;
    case 'gateway':
      return `gateway ${v.gateway} and beyond`;
    case 'lan':
      return `rest of the LAN ${v.lan}`;
    case 'other':
      return 'not IPv4';
  }
}

/** `bpftool map update` arguments of one entry: struct lan_key { u32 prefixlen; u32 addr (network order) }. */
export function lanKeyBytes(cidr: string): number[] {
  const [addr, len] = cidr.split('/') as [string, string];
  const b = Buffer.alloc(8);
  b.writeUInt32LE(Number(len), 0);
  addr.split('.').forEach((o, i) => b.writeUInt8(Number(o), 4 + i));
  return [...b];
}

export const labelBytes = (label: string): number[] => label.split('.').map(Number);
