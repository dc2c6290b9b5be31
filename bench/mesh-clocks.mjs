// bench/mesh's convergence as the agents' own clocks say it, from their logs: when each host's membership sync
// that first read every peer alive ended (its line is written after the sync's kernel passes, so a little late), and when its probes first had an answer from every peer. The poll the bench
// times by (a `router` call to each of N agents, every 500 ms) answers late on a loaded machine: at 50 hosts a
// round of calls took seconds, and that is in the polled figure, not in what the hosts saw. Same machine, one
// clock: the logs' ISO times and the bench's Date.now() compare directly.
import { readFileSync } from 'node:fs';

const STAMP = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) /;
const MEMBERSHIP = /membership: (\d+)\/(\d+) alive/;
const ANSWERED = /peer probes: (\S+) answered \d+ ms after it was planned/;

/**
 * One host's log: when it last came to see all `n` members alive, and when it last had its first answer from
 * each of `n - 1` peers, both up to `until` (ms since the epoch); null where the log does not say so by then.
 * Pure.
 */
export function hostClocks(text, n, until) {
  let aliveSince = null;
  const answered = new Map();
  for (const line of text.split('\n')) {
    const t = STAMP.exec(line);
    if (!t) continue;
    const at = Date.parse(t[1]);
    if (at > until) break;
    const m = MEMBERSHIP.exec(line);
    if (m) {
      const all = Number(m[1]) === n && Number(m[2]) === n;
      if (!all) aliveSince = null;
      else if (aliveSince === null) aliveSince = at;
      continue;
    }
    const a = ANSWERED.exec(line);
    if (a) answered.set(a[1], at); // the last first-answer: a peer that went and came back counts from its return
  }
  const reachableSince = answered.size >= n - 1 ? Math.max(...answered.values()) : null;
  return { aliveSince, reachableSince, peersAnswered: answered.size };
}

/**
 * Over every host: ms from `from` until the last of them saw all alive and all answering (0 when a host saw it
 * before `from`; NaN when a log does not say so by `until`). Pure.
 */
export function meshClocks(texts, n, from, until) {
  const hosts = texts.map((t) => hostClocks(t, n, until));
  const last = (key) =>
    hosts.some((h) => h[key] === null) ? NaN : Math.max(0, ...hosts.map((h) => h[key] - from));
  return { aliveMs: last('aliveSince'), reachableMs: last('reachableSince') };
}

/** The same from the lab hosts' agent logs. */
export function agentClocks(hosts, from, until) {
  const texts = hosts.map((h) => readFileSync(h.agentLog, 'utf8'));
  return meshClocks(texts, hosts.length, from, until);
}
