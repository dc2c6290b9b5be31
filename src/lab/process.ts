import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { poll } from '../poll.js';

/** Starts a process in its own session that outlives us, output appended to a log; returns its PID. */
export function spawnDetached(
  file: string,
  args: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): number {
  const fd = openSync(logFile, 'a', 0o600);
  const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], ...(env ? { env } : {}) });
  closeSync(fd);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${file}`);
  return child.pid;
}

export function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers kill 0; it is not running.
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** SIGTERM, then SIGKILL if it has not gone within `graceMs`. */
export async function terminate(pid: number | undefined, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid!, 'SIGTERM');
  const gone = () => (alive(pid) ? undefined : true);
  if (await poll(gone, { everyMs: 50, withinMs: graceMs })) return;
  process.kill(pid!, 'SIGKILL');
  await poll(gone, { everyMs: 20, withinMs: Infinity });
}

/** PIDs whose command line mentions `needle` (a lab path), e.g. the containerd and shims our dockerd started. */
export function pidsMentioning(needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) found.push(Number(entry));
    } catch {
      /* gone already */
    }
  }
  return found;
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  hint: string,
): Promise<void> {
  const up = await poll(async () => (await check().catch(() => false)) || undefined, {
    everyMs: 100,
    withinMs: timeoutMs,
  });
  if (!up) throw new Error(`${what} did not come up within ${timeoutMs / 1000} s; ${hint}`);
}
