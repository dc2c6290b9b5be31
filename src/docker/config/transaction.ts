// The apply transaction: back up, write, restart dockerd, wait until it is healthy, and on failure restore the
// backup and restart again; the undo sits beside the do. Split from apply.ts, which decides what to write.
import type { Result } from '../../api/index.js';
import type { DockerdConfigDeps } from './apply.js';
import { backup, markRestored, restore, writeAtomic, type Backup } from './files.js';
import { containersAfter, restartImpact, startContainers, stoppedBy } from './impact.js';
import type { Plan } from './plan.js';
import { logSince, markLog, restartDockerd, waitHealthy } from './restart.js';
import type { Finding } from './validate.js';

export type ApplyResult = Result<'dockerd.apply'>;
type Step = ApplyResult['steps'][number];
/** How long dockerd may take to be healthy, and whether to start again what the restart stopped. */
export interface RunOptions {
  timeoutSeconds: number;
  restartContainers: boolean;
}

/** What a transaction needs of its owner: the deps, where backups go, and where to say which phase it is in. */
export interface TransactionContext {
  d: Pick<DockerdConfigDeps, 'docker' | 'restart' | 'reattach' | 'log'>;
  backupDir: string;
  setApplying: (a: Result<'dockerd.show'>['applying']) => void;
}

/** Backs up the files the plan changes, writes them atomically, then restarts as runRestart does. */
export async function writePlan(
  ctx: TransactionContext,
  pl: Plan,
  run: RunOptions,
  findings: Finding[],
  files: ApplyResult['files'],
  onSuccess: () => Promise<void>,
): Promise<ApplyResult> {
  const written = [pl.daemonJson, pl.dropIn].filter((f) => f !== null);
  const b = await backup(
    ctx.backupDir,
    written.map((f) => f.path),
  );
  return runRestart(
    ctx,
    b,
    async () => {
      for (const f of written) await writeAtomic(f.path, f.after);
    },
    pl.dropIn !== null,
    run,
    findings,
    files,
    onSuccess,
  );
}

/** Writes, restarts, waits; on failure puts `b` back, restarts again, and says why with dockerd's log. */
export async function runRestart(
  ctx: TransactionContext,
  b: Backup,
  write: () => Promise<void>,
  reload: boolean,
  run: RunOptions,
  findings: Finding[],
  files: ApplyResult['files'],
  onSuccess: () => Promise<void>,
): Promise<ApplyResult> {
  const steps: Step[] = [];
  const { timeoutSeconds } = run;
  const timeoutMs = timeoutSeconds * 1000;
  const startedAt = new Date().toISOString();
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    ctx.setApplying({ phase: name, since: new Date().toISOString(), startedAt, timeoutSeconds });
    const t0 = Date.now();
    try {
      const v = await fn();
      steps.push({ step: name, ok: true, ms: Date.now() - t0, detail: null });
      return v;
    } catch (err) {
      steps.push({ step: name, ok: false, ms: Date.now() - t0, detail: (err as Error).message });
      throw err;
    }
  };
  const healthy = async (): Promise<boolean> => {
    if (!(await waitHealthy(ctx.d.docker, timeoutMs)))
      throw new Error(`dockerd did not answer and list containers within ${timeoutSeconds} s`);
    return true;
  };
  const base = { backup: b.id, files, findings, containers: [], restarted: [] };
  // Asked before anything changes: afterwards the stopped containers look like any other stopped one.
  const before = await restartImpact(ctx.d.docker);
  /** After dockerd is healthy again: start what it stopped (if asked), re-attach, then every one's state. */
  const settle = async (): Promise<Pick<ApplyResult, 'reattached' | 'containers' | 'restarted'>> => {
    let restarted: string[] = [];
    if (run.restartContainers) {
      const stopped = stoppedBy(await containersAfter(ctx.d.docker, before));
      if (stopped.length > 0)
        restarted = await step('start containers', async () => {
          const r = await startContainers(
            ctx.d.docker,
            stopped.map((c) => c.id),
          );
          const failed = r.filter((x) => !x.running);
          if (failed.length) throw new Error(failed.map((x) => `${x.name}: ${x.error}`).join('; '));
          return stopped.map((c) => c.name);
        }).catch(() => []);
    }
    const reattached = await step('re-attach', () => ctx.d.reattach());
    return { reattached, containers: await containersAfter(ctx.d.docker, before), restarted };
  };
  try {
    await step('write', write);
    const mark = await markLog(ctx.d.restart);
    let reason: string | null = null;
    let restartWords: string[] = [];
    try {
      await step('restart', () => restartDockerd(ctx.d.restart, reload, timeoutMs));
      await step('wait healthy', healthy);
    } catch (err) {
      // The first line; dockerd's own words follow in daemonLog.
      const [first, ...rest] = (err as Error).message.split('\n');
      reason = first!.replace(/:$/, '');
      restartWords = rest
        .map((l) => l.trim())
        .filter((l) => l && !/level=(warning|info|debug)/.test(l) && !/^hint:/.test(l));
    }
    if (reason === null) {
      const after = await settle();
      await onSuccess();
      ctx.d.log(`dockerd options applied (backup ${b.id})`);
      return { ...base, outcome: 'applied', reason: null, daemonLog: [], steps, ...after };
    }
    // A restart command (the lab's) quotes the words of this start alone. The log since the mark also holds
    // what the old daemon said as it stopped ("Failed to get event ... transport is closing"), and can lag.
    // systemctl quotes only itself, so under systemd the journal is dockerd's voice.
    const quoted = ctx.d.restart.command !== 'systemd' && restartWords.length > 0;
    const fromLog = quoted ? [] : await logSince(ctx.d.restart, mark);
    const daemonLog = fromLog.length > 0 ? fromLog : restartWords;
    ctx.d.log(`dockerd did not come back (${reason}); restoring backup ${b.id}`);
    try {
      await step('restore backup', () => restore(b));
      await step('restart with the old options', () => restartDockerd(ctx.d.restart, reload, timeoutMs));
      await step('wait healthy', healthy);
      const after = await settle();
      // What is on disk is the backup again: it is no longer "the last change" to roll back.
      await markRestored(ctx.backupDir, b);
      return { ...base, outcome: 'rolled-back', reason, daemonLog, steps, ...after };
    } catch (err) {
      const again = await logSince(ctx.d.restart, mark);
      return {
        ...base,
        outcome: 'rollback-failed',
        reason: `${reason}; and after restoring the backup: ${(err as Error).message}`,
        daemonLog: again,
        steps,
        reattached: 0,
      };
    }
  } finally {
    ctx.setApplying(null);
  }
}
