import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labHost } from '../../src/lab/layout.js';
import { sh, xnetJson } from '../helpers/cli.js';
import { agentCall, osh, overlayOf } from '../helpers/lab.js';

/** What faults.lab.test.ts reads and runs in the lab: hosts, serf, FDB, agent status and PIDs. */
export const [h1, h2, h3] = [1, 2, 3].map(labHost) as [
  ReturnType<typeof labHost>,
  ReturnType<typeof labHost>,
  ReturnType<typeof labHost>,
];
export const nsh = (h: { netnsPath: string }, argv: string[]): string =>
  sh('nsenter', [`--net=${h.netnsPath}`, '--', ...argv]);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function agentPid(host: string): Promise<number> {
  return (await xnetJson<{ pid: number }>(['--lab', host, 'status'])).pid;
}
export function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}
/** What a refused input must leave alone: h1's links, addresses and FDB, and its state file. */
export function snapshot(): string {
  const state = join(h1.agentStateDir, 'state.json');
  return JSON.stringify([
    nsh(h1, ['ip', '-o', 'link', 'show']).replace(/\s+link\/\S+ \S+ brd \S+/g, ''),
    nsh(h1, ['ip', '-o', 'addr', 'show']).replace(/valid_lft.*$/gm, ''),
    // The overlay namespace (bridge, VXLAN device, host-side veths), once there is one.
    ...(existsSync(overlayOf(h1))
      ? [
          osh(h1, ['ip', '-o', 'link', 'show']).replace(/\s+link\/\S+ \S+ brd \S+/g, ''),
          // What we program (permanent, static, the devices' own); not the MACs the bridge learns as frames pass.
          osh(h1, ['bridge', 'fdb', 'show'])
            .split('\n')
            .filter((l) => /\b(permanent|static|self)\b/.test(l))
            .join('\n'),
        ]
      : []),
    existsSync(state) ? readFileSync(state, 'utf8') : '',
  ]);
}

/** Runs `serf` in a lab host, as root or (with `user`) as another local user; exit code and output. */
export function serf(h: { netnsPath: string }, args: string[], env: NodeJS.ProcessEnv = {}, user?: string) {
  const argv = [
    `--net=${h.netnsPath}`,
    '--',
    ...(user ? ['setpriv', `--reuid=${user}`, '--regid=nogroup', '--clear-groups'] : []),
    'serf',
    ...args,
    '-rpc-addr=127.0.0.1:7373',
  ];
  try {
    return {
      code: 0,
      out: execFileSync('nsenter', argv, {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        stdio: 'pipe',
      }),
    };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
}
/** h1's flood list: the VTEPs its VXLAN device sends unknown frames to. */
export function floodList(): string[] {
  return osh(h1, ['bridge', 'fdb', 'show', 'dev', 'xnet-vx'])
    .split('\n')
    .filter((l) => l.startsWith('00:00:00:00:00:00'))
    .map((l) => /dst (\S+)/.exec(l)?.[1] ?? '')
    .sort();
}
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  const start = Date.now();
  while (!(await ok())) {
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
  return Date.now() - start;
}

/** Asks a lab agent for its status over its socket (what `status` does, without a CLI process each time). */
export async function agentStatus(h: {
  agentSocket: string;
}): Promise<{ pid: number; stateRecovery?: string | null } | undefined> {
  return agentCall(h, 'status', {}, 500).catch(() => undefined);
}
/** Milliseconds from now until a lab agent other than `oldPid` answers. */
export async function backWithin(h: typeof h1, oldPid: number, ms: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const s = await agentStatus(h);
    if (s && s.pid !== oldPid) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`${h.name}'s agent not back within ${ms} ms`);
    await sleep(20);
  }
}
export const pidIn = (file: string): number => Number(readFileSync(file, 'utf8').trim());
export const serfPid = (h: typeof h1): number =>
  (JSON.parse(readFileSync(join(h.agentStateDir, 'serf.pid'), 'utf8')) as { pid: number }).pid;
