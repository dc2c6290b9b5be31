import { readFileSync, readdirSync } from 'node:fs';
import { loadavg, totalmem, freemem } from 'node:os';
import { readPid } from './process.js';
import type { LabHost } from './layout.js';

/** What the lab's processes hold in memory, by role, and what it took to start: printed at the end of `lab up`. */
export interface RoleMemory {
  role: 'agent' | 'standby' | 'supervisor' | 'dockerd' | 'serf';
  count: number;
  rssBytes: number;
}

export interface LabFootprint {
  hosts: number;
  startSeconds: number;
  roles: RoleMemory[];
  totalRssBytes: number;
  machine: { usedBytes: number; totalBytes: number; load: [number, number, number] };
}

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  rssBytes: number;
}

function readProc(pid: number): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may hold spaces and parentheses: the fields after it start at the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const pages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return { pid, ppid: Number(rest[1]), comm, rssBytes: pages * 4096 };
  } catch {
    return undefined;
  }
}

function allProcs(): Proc[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((e) => readProc(Number(e)))
    .filter((p): p is Proc => p !== undefined);
}

/** The lab's processes by role, from the pidfiles and the process tree (standbys and serfs are children). */
export function measureFootprint(hosts: LabHost[], startSeconds: number): LabFootprint {
  const procs = allProcs();
  const children = (pid: number | undefined): Proc[] =>
    pid === undefined ? [] : procs.filter((p) => p.ppid === pid);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const found: Record<RoleMemory['role'], Proc[]> = {
    agent: [],
    standby: [],
    supervisor: [],
    dockerd: [],
    serf: [],
  };
  const add = (role: RoleMemory['role'], p: Proc | undefined): void => {
    if (p) found[role].push(p);
  };
  for (const h of hosts) {
    const supervisor = readPid(h.supervisorPidfile);
    const agent = readPid(h.agentPidfile);
    add('supervisor', supervisor === undefined ? undefined : byPid.get(supervisor));
    add('agent', agent === undefined ? undefined : byPid.get(agent));
    for (const c of children(supervisor)) if (c.pid !== agent) add('standby', c);
    for (const c of children(agent)) if (c.comm === 'serf') add('serf', c);
    const dockerd = readPid(h.dockerPidfile);
    add('dockerd', dockerd === undefined ? undefined : byPid.get(dockerd));
    // containerd and its shims count with dockerd: they come and go with it.
    for (const c of children(dockerd)) add('dockerd', c);
  }
  const roles = (Object.keys(found) as RoleMemory['role'][])
    .map((role) => ({
      role,
      count: found[role].length,
      rssBytes: found[role].reduce((n, p) => n + p.rssBytes, 0),
    }))
    .filter((r) => r.count > 0);
  const [l1, l5, l15] = loadavg();
  return {
    hosts: hosts.length,
    startSeconds,
    roles,
    totalRssBytes: roles.reduce((n, r) => n + r.rssBytes, 0),
    machine: { usedBytes: totalmem() - freemem(), totalBytes: totalmem(), load: [l1!, l5!, l15!] },
  };
}

const mb = (b: number): string => `${Math.round(b / 2 ** 20)} MB`;

/** `lab: 10 hosts up in 12.3 s; memory 1234 MB: 10 agents 780 MB (78 MB each), ...`. Pure. */
export function footprintLine(f: LabFootprint): string {
  const roles = f.roles
    .map(
      (r) =>
        `${r.count} ${r.role}${r.count === 1 ? '' : r.role === 'dockerd' ? ' processes' : 's'} ${mb(r.rssBytes)}` +
        (r.count > 1 ? ` (${mb(r.rssBytes / r.count)} each)` : ''),
    )
    .join(', ');
  const m = f.machine;
  return (
    `${f.hosts} host${f.hosts === 1 ? '' : 's'} up in ${f.startSeconds.toFixed(1)} s; ` +
    `lab memory ${mb(f.totalRssBytes)}${roles ? `: ${roles}` : ''}; ` +
    `machine ${mb(m.usedBytes)} of ${mb(m.totalBytes)} used, load ${m.load.map((x) => x.toFixed(2)).join(' ')}`
  );
}
