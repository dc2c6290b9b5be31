// bench/mesh's convergence by the agents' own state: each agent's router status says, for every peer, since when
// its gossip state and its data-plane state are what they are (router/peer-since.ts: set when the agent decided
// it, a membership read or a probe line, not when it was asked). A poll round answers late on a loaded machine,
// but the times it carries are the agents'. Same machine, one clock: they compare with the bench's Date.now().

/**
 * Ms from `from` (the last connect) until every host saw all `n - 1` peers alive and reachable: over hosts and
 * peers, the latest of max(gossipSince, dataPlane.since). A peer a host saw reachable, lost and got back counts
 * from its return (its since moved). NaN when `views` lacks a host, a host does not see every peer alive and reachable, or
 * an agent gave no since (an older one). 0 when all were so before `from`. Pure.
 * `views`: per host, its router status peers (this host's own row, `self`, is skipped).
 */
export function sinceConvergence(views, n, from) {
  if (views.length !== n) return NaN;
  let latest = -Infinity;
  for (const peers of views) {
    const others = (peers ?? []).filter((p) => !p.self);
    const ok = others.filter((p) => p.gossip === 'alive' && p.dataPlane.state === 'reachable');
    if (others.length !== n - 1 || ok.length !== n - 1) return NaN;
    for (const p of ok) {
      if (p.gossipSince === undefined || p.dataPlane.since === undefined) return NaN;
      latest = Math.max(latest, p.gossipSince, p.dataPlane.since);
    }
  }
  return Math.max(0, latest - from);
}
