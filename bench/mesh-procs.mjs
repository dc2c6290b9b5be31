// What bench/mesh reads of the lab's processes and hosts: CPU and memory from /proc, serf and children by
// parent, gossip bytes from counting rules on port 7946 in each host.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

/** Percent of a core from two cpuTicks readings `seconds` apart. */
export const cpuPct = (after, before, seconds) => ((after - before) * 100) / TICK / seconds;

/**
 * The machine's busy CPU time so far (all cores, /proc/stat: everything but idle and iowait), in seconds: what a
 * window of the run cost, whoever spent it (processes that came and went, the kernel's network work).
 */
export function machineBusySeconds() {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = v[3] + v[4];
  return (v.reduce((a, b) => a + b, 0) - idle) / TICK;
}

/** Every process under these now (children, theirs, ...), by the parent each names in /proc. */
export function descendants(pids) {
  const parents = new Map();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      parents.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* gone */
    }
  }
  const tree = new Set(pids.map(Number));
  const roots = new Set(tree);
  for (let grew = true; grew;) {
    grew = false;
    for (const [p, pp] of parents)
      if (tree.has(pp) && !tree.has(p)) {
        tree.add(p);
        grew = true;
      }
  }
  return [...tree].filter((p) => !roots.has(p));
}

/**
 * cpuTicks of a process and of every process under it now: the agent's tree (its spawner and the probe loops
 * that one runs, which a parent's reaped-children times never reach while the spawner lives).
 */
export function treeTicks(pid) {
  return [pid, ...descendants([pid])]
    .map(cpuTicks)
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);
}

/** utime+stime of a process (and of the children it has reaped: the agent's fping, ip, bpftool), in ticks. */
export function cpuTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  } catch {
    return NaN;
  }
}
export const rssMb = (pid) => {
  try {
    return (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 2 ** 20;
  } catch {
    return NaN;
  }
};
export const serfOf = (agentPid) =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .find((e) => {
      try {
        const s = readFileSync(`/proc/${e}/stat`, 'utf8');
        return s.includes('(serf)') && Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === agentPid;
      } catch {
        return false;
      }
    });
export const childrenOf = (pid) =>
  readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((e) => {
      try {
        const s = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    });
export const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
/** Serf's gossip on the underlay: bytes in and out on port 7946 (TCP and UDP), from counting rules in the host. */
const GOSSIP_RULES = [
  ['INPUT', '-p', 'udp', '--dport', '7946'],
  ['INPUT', '-p', 'tcp', '--dport', '7946'],
  ['OUTPUT', '-p', 'udp', '--sport', '7946'],
  ['OUTPUT', '-p', 'tcp', '--sport', '7946'],
];
const nsIptables = (h, args) =>
  spawnSync('nsenter', [`--net=${h.netnsPath}`, '--', 'iptables', '-w', '5', ...args], { encoding: 'utf8' });
export function countGossip(h) {
  for (const r of GOSSIP_RULES)
    nsIptables(h, ['-I', ...r, '-m', 'comment', '--comment', 'xnet-bench-gossip']);
}
export function gossipBytes(h) {
  let total = 0;
  for (const chain of ['INPUT', 'OUTPUT']) {
    const out = nsIptables(h, ['-L', chain, '-v', '-x', '-n']).stdout ?? '';
    for (const line of out.split('\n'))
      if (line.includes('xnet-bench-gossip')) total += Number(line.trim().split(/\s+/)[1]);
  }
  return total;
}
