import type { PeerStatus } from './driver.js';

/**
 * The mesh's peers at a glance, for 50 of them: a summary ("49/49 alive, 48 reachable, 1 mtu-too-small"), an
 * order with trouble on top, and the filter the CLI and the TUI's `/` share. Pure: status peers and the Peers
 * pane draw the same words from it.
 */
export interface PeerSummary {
  /** Peers other than this host. */
  peers: number;
  alive: number;
  reachable: number;
  /** Peers whose data plane is not reachable, by state (unreachable, mtu-too-small, unknown). */
  notReachable: Partial<Record<PeerStatus['dataPlane']['state'], number>>;
}

export function peerSummary(all: readonly PeerStatus[]): PeerSummary {
  const peers = all.filter((p) => !p.self);
  const notReachable: PeerSummary['notReachable'] = {};
  for (const p of peers)
    if (p.dataPlane.state !== 'reachable')
      notReachable[p.dataPlane.state] = (notReachable[p.dataPlane.state] ?? 0) + 1;
  return {
    peers: peers.length,
    alive: peers.filter((p) => p.gossip === 'alive').length,
    reachable: peers.filter((p) => p.dataPlane.state === 'reachable').length,
    notReachable,
  };
}

/** Trouble first: the order of the states after `reachable`. */
const NOT_REACHABLE_ORDER = ['unreachable', 'mtu-too-small', 'unknown'] as const;

/**
 * `49/49 alive, 48 reachable, 1 mtu-too-small`; `no peers` for a mesh of one. `short` stops after the
 * reachable count (a narrow pane's title; its rows, trouble first, say which).
 */
export function summaryLine(s: PeerSummary, short = false): string {
  if (s.peers === 0) return 'no peers';
  return [
    `${s.alive}/${s.peers} alive`,
    `${s.reachable} reachable`,
    ...(short ? [] : NOT_REACHABLE_ORDER.filter((k) => s.notReachable[k])).map(
      (k) => `${s.notReachable[k]} ${k}`,
    ),
  ].join(', ');
}

/** 0 needs a look (gossip not alive, or packets do not cross), 1 not probed yet, 2 fine. */
export function peerRank(p: PeerStatus): number {
  if (p.self) return 2;
  if (p.gossip !== 'alive' || p.dataPlane.state === 'unreachable' || p.dataPlane.state === 'mtu-too-small')
    return 0;
  return p.dataPlane.state === 'unknown' ? 1 : 2;
}

/** This host first (where am I), then trouble, not probed, fine; by name within each, h2 before h10. */
export function sortPeers(peers: readonly PeerStatus[]): PeerStatus[] {
  return [...peers].sort(
    (a, b) =>
      Number(b.self) - Number(a.self) ||
      peerRank(a) - peerRank(b) ||
      a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
}

/** Case-blind substring of the name, nickname, address, gossip or data-plane state; empty matches all. */
export function peerMatches(p: PeerStatus, filter: string): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return [p.name, p.nickname, p.address, p.gossip, p.dataPlane.state].some((x) =>
    x.toLowerCase().includes(f),
  );
}
