import { open, stat } from 'node:fs/promises';
import type Docker from 'dockerode';
import { run } from '../../net/exec.js';
import { poll } from '../../poll.js';

/** Restarting dockerd the way this host runs it, waiting until it is healthy, and reading its log. */

export interface RestartMethod {
  /** systemd: `systemctl daemon-reload` (when a drop-in changed) and `systemctl restart UNIT`; else this argv. */
  command: string[] | 'systemd';
  unit: string;
  /** dockerd's log file (the lab's); undefined: the journal of the unit. */
  logFile: string | undefined;
}

export function describeRestart(m: RestartMethod): string {
  return m.command === 'systemd' ? `systemctl restart ${m.unit}` : m.command.join(' ');
}

/** Where the log stood before a restart, so only the lines of this start are shown. */
export interface LogMark {
  offset: number;
  since: number;
}

export async function markLog(m: RestartMethod): Promise<LogMark> {
  const offset = m.logFile
    ? await stat(m.logFile).then(
        (s) => s.size,
        () => 0,
      )
    : 0;
  return { offset, since: Math.floor(Date.now() / 1000) };
}

export async function logSince(m: RestartMethod, mark: LogMark, max = 20): Promise<string[]> {
  let text = '';
  if (m.logFile) {
    const fh = await open(m.logFile, 'r').catch(() => undefined);
    if (!fh) return [];
    try {
      const { size } = await fh.stat();
      const start = Math.max(mark.offset, size - 64 * 1024);
      const buf = Buffer.alloc(Math.max(0, size - start));
      await fh.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } else {
    text = await run('journalctl', [
      '-u',
      m.unit,
      '--since',
      `@${mark.since}`,
      '--no-pager',
      '-o',
      'cat',
      '-n',
      String(max * 2),
    ]).then(
      (r) => r.stdout,
      (err: Error) => `(journalctl: ${err.message})`,
    );
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  // The lines that say why: errors, and what dockerd prints bare before it exits; else the tail.
  const why = lines.filter((l) => !/level=(warning|info|debug)/.test(l));
  return (why.length > 0 ? why : lines).slice(-max);
}

export async function restartDockerd(m: RestartMethod, reload: boolean, timeoutMs: number): Promise<void> {
  if (m.command === 'systemd') {
    if (reload) await run('systemctl', ['daemon-reload'], { timeoutMs });
    await run('systemctl', ['restart', m.unit], { timeoutMs });
    return;
  }
  await run(m.command[0]!, m.command.slice(1), { timeoutMs });
}

/** Healthy: the daemon answers a ping and lists containers. */
export async function waitHealthy(docker: Docker, timeoutMs: number): Promise<boolean> {
  const ok = await poll(
    () =>
      docker
        .ping()
        .then(() => docker.listContainers({ all: true }))
        .then(
          () => true as const,
          () => undefined,
        ),
    { everyMs: 250, withinMs: timeoutMs },
  );
  return ok ?? false;
}
