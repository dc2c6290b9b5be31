import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Result } from '../../src/api/index.js';
import type { LabHost } from '../../src/lab/layout.js';
import { xnetJson } from './cli.js';

/** Every process descended from a lab host's agent, with its command line (fping runs as its child). */
export function agentProcesses(h: LabHost): { pid: number; args: string }[] {
  const agent = Number(readFileSync(h.agentPidfile, 'utf8').trim());
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  const ours = new Set([agent]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows)
      if (ours.has(r.ppid) && !ours.has(r.pid)) {
        ours.add(r.pid);
        grew = true;
      }
  }
  return rows.filter((r) => r.pid !== agent && ours.has(r.pid));
}

/** The command lines of the fping processes a lab host's agent runs (its children and theirs). */
export function agentFpings(h: LabHost): string[] {
  return agentProcesses(h)
    .filter((r) => /(^|\/)fping\s/.test(r.args))
    .map((r) => r.args.replace(/^.*?\bfping /, 'fping '))
    .sort();
}

type Check = Result<'pings'>['checks'][number];

/** The host's automatic checks, polled until `ok` holds for them (or `ms` passes: the last seen is returned). */
export async function autoChecks(
  host: string,
  ok: (checks: Check[]) => boolean,
  ms = 20_000,
): Promise<Check[]> {
  const start = Date.now();
  let last: Check[] = [];
  while (Date.now() - start < ms) {
    last = (await xnetJson<Result<'pings'>>(['--lab', host, 'status', 'pings'])).checks.filter(
      (c) => c.kind === 'auto',
    );
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  return last;
}
