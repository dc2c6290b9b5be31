import type { InterfaceCounters } from '../api/interfaces.js';
import type { IpLink } from './ip.js';
import { readLinkStats } from './link-stats.js';
import type { NetnsPath } from './netns.js';

interface Stats {
  bytes?: number;
  packets?: number;
  errors?: number;
  dropped?: number;
}

interface IpLinkStats extends IpLink {
  stats64?: { rx?: Stats; tx?: Stats };
}

/** Maps one `ip -json -s -details link` entry to counters; pure so it is testable without a kernel. */
export function toCounters(l: IpLinkStats): InterfaceCounters {
  const rx = l.stats64?.rx ?? {};
  const tx = l.stats64?.tx ?? {};
  return {
    name: l.ifname,
    kind: l.linkinfo?.info_kind ?? null,
    master: l.master ?? null,
    operstate: l.operstate ?? 'UNKNOWN',
    rxBytes: rx.bytes ?? 0,
    txBytes: tx.bytes ?? 0,
    rxPackets: rx.packets ?? 0,
    txPackets: tx.packets ?? 0,
    rxErrors: rx.errors ?? 0,
    txErrors: tx.errors ?? 0,
    rxDropped: rx.dropped ?? 0,
    txDropped: tx.dropped ?? 0,
  };
}

/**
 * Counters of every interface in a namespace, read over netlink by `ip` (not /sys/class/net, which shows the
 * namespace /sys was mounted in: wrong for an agent entered with `nsenter --net`), from the namespace's
 * long-lived `ip -batch` (link-stats.ts): no process per reading.
 */
export async function interfaceCounters(netns: NetnsPath): Promise<InterfaceCounters[]> {
  const found = await readLinkStats<IpLinkStats>(netns);
  return found.map(toCounters);
}

/** The same, each with its ifindex (what tc hooks and the eBPF counters key on). */
export async function linkCounters(netns: NetnsPath): Promise<(InterfaceCounters & { ifindex: number })[]> {
  const found = await readLinkStats<IpLinkStats>(netns);
  return found.map((l) => ({ ...toCounters(l), ifindex: l.ifindex }));
}
