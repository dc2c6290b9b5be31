// One piece (over 300 lines): apply and rollback are one transaction (back up, write, restart, wait for
// health, restore on failure) serialized by one queue; splitting it would split the undo from the do.
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { z } from 'zod';
import { badInput, failed, XnetError } from '../../errors.js';
import type { DockerdChanges, Result } from '../../api/index.js';
import { OPTION_KEYS, OPTIONS, isOptionKey, type OptionKey } from './options.js';
import { mergeStaged, plan, stageChange, type Plan, type Sources, type StagedChange } from './plan.js';
import { effectiveOptions } from './sources.js';
import { containersAfter, restartImpact, startContainers, stoppedBy } from './impact.js';
import {
  blocking,
  introducedErrors,
  validate,
  type Candidate,
  type Finding,
  type HostFacts,
} from './validate.js';
import {
  backup,
  listBackups,
  loadStaged,
  markRestored,
  readSources,
  restore,
  saveStaged,
  writeAtomic,
  type Backup,
  type Locations,
} from './files.js';
import {
  describeRestart,
  logSince,
  markLog,
  restartDockerd,
  waitHealthy,
  type RestartMethod,
} from './restart.js';

export interface DockerdConfigDeps {
  locations: Locations;
  restart: RestartMethod;
  stateDir: string;
  docker: Docker;
  /** The host's links, routes and overlay ranges, read when validating. */
  facts: () => Promise<HostFacts>;
  /** Re-attaches the xnet attachments after dockerd came back (containers restarted with it). */
  reattach: () => Promise<number>;
  log: (msg: string) => void;
}

type Changes = z.infer<typeof DockerdChanges>;
type ApplyResult = Result<'dockerd.apply'>;
type Step = ApplyResult['steps'][number];
/** How long dockerd may take to be healthy, and whether to start again what the restart stopped. */
interface RunOptions {
  timeoutSeconds: number;
  restartContainers: boolean;
}

/** show / stage / diff / apply / rollback of dockerd's network options: the effects around the pure core. */
export class DockerdConfig {
  #queue: Promise<unknown> = Promise.resolve();
  #applying: Result<'dockerd.show'>['applying'] = null;
  readonly #stagedFile: string;
  readonly #backupDir: string;

  constructor(private readonly d: DockerdConfigDeps) {
    this.#stagedFile = join(d.stateDir, 'dockerd-staged.json');
    this.#backupDir = join(d.stateDir, 'dockerd-backups');
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async show(): Promise<Result<'dockerd.show'>> {
    const [src, staged, backups, facts, impact] = await Promise.all([
      readSources(this.d.locations),
      loadStaged(this.#stagedFile),
      listBackups(this.#backupDir),
      this.d.facts(),
      // While dockerd restarts there is no one to ask, and the apply in progress already knows.
      this.#applying ? null : restartImpact(this.d.docker),
    ]);
    const findings =
      src.daemon.state === 'unreadable' || src.daemon.state === 'invalid'
        ? [fileFinding(src)]
        : validate(candidate(src, null), facts);
    return {
      configPath: src.daemon.path,
      daemonJson: {
        state: src.daemon.state,
        error: src.daemon.error,
        nonStandard: src.daemon.nonStandard,
        unknownKeys: src.daemon.unknownKeys,
      },
      execStart: src.exec ? { file: src.exec.file, argv: src.exec.argv } : null,
      dropInPath: src.dropInPath,
      restart: describeRestart(this.d.restart),
      options: effectiveOptions(src.daemon, src.exec, src.flags).map((o) => ({
        ...o,
        value: o.value ?? null,
        fileValue: o.fileValue ?? null,
        flagValue: o.flagValue ?? null,
      })),
      findings,
      staged,
      catalog: OPTION_KEYS.map((k) => ({
        key: k,
        kind: OPTIONS[k].kind,
        flag: `--${OPTIONS[k].flag}`,
        description: OPTIONS[k].description,
        defaultText: OPTIONS[k].defaultText,
      })),
      backups: backups.reverse().map((b) => ({ id: b.id, at: b.at, files: b.files.map((f) => f.path) })),
      applying: this.#applying,
      impact,
    };
  }

  stage(p: Changes & { clear: boolean }): Promise<Result<'dockerd.stage'>> {
    return this.#serial(async () => {
      const src = await readSources(this.d.locations);
      const base = p.clear ? [] : await loadStaged(this.#stagedFile);
      const staged = stageAll(src, base, p);
      const facts = await this.d.facts();
      const [before, after] = await Promise.all([
        this.#diff(src, base, facts),
        this.#diff(src, staged, facts),
      ]);
      // What apply would refuse is not staged: an error these changes bring in, or files that cannot be written.
      // Errors already there stay reportable and fixable (an unset or a move is how they go away).
      if (after.refused) throw failed(after.refused, after.findings[0]?.hint ?? undefined);
      const introduced = introducedErrors(before.findings, after.findings);
      if (introduced.length > 0) {
        const first = introduced[0]!;
        throw badInput(
          first.key,
          `refused, nothing staged: ${introduced.map((f) => f.message).join('; ')}`,
          first.hint ?? undefined,
        );
      }
      await saveStaged(this.#stagedFile, staged);
      return after;
    });
  }

  async diff(preview: Changes | undefined): Promise<Result<'dockerd.diff'>> {
    const src = await readSources(this.d.locations);
    const staged = await loadStaged(this.#stagedFile);
    return this.#diff(src, preview ? stageAll(src, staged, preview) : staged);
  }

  async #diff(src: Sources, staged: StagedChange[], known?: HostFacts): Promise<Result<'dockerd.diff'>> {
    const [facts, impact] = await Promise.all([known ?? this.d.facts(), restartImpact(this.d.docker)]);
    let p: Plan;
    try {
      p = plan(src, staged);
    } catch (err) {
      if (!(err instanceof XnetError)) throw err;
      const finding: Finding = {
        severity: 'error',
        rule: 'cannot-write',
        key: err.field ?? 'files',
        message: err.message,
        hint: err.hint ?? null,
      };
      return {
        staged,
        files: [],
        notes: [],
        findings: [finding],
        blocked: true,
        refused: err.message,
        impact,
      };
    }
    const findings = validate(candidate(src, p), facts);
    return {
      staged,
      files: planFiles(p),
      notes: p.notes,
      findings,
      blocked: blocking(findings, { insecureTcp: false }).length > 0 || planFiles(p).length === 0,
      refused: null,
      impact,
    };
  }

  apply(p: {
    allowInsecureTcp: boolean;
    timeoutSeconds: number;
    restartContainers?: boolean;
  }): Promise<ApplyResult> {
    return this.#serial(async () => {
      const src = await readSources(this.d.locations);
      const staged = await loadStaged(this.#stagedFile);
      if (staged.length === 0)
        throw badInput('staged', 'nothing is staged', 'stage changes first: xnet-tui dockerd set KEY=VALUE');
      const pl = plan(src, staged);
      const findings = validate(candidate(src, pl), await this.d.facts());
      const stop = blocking(findings, { insecureTcp: p.allowInsecureTcp });
      if (stop.length > 0) {
        const first = stop[0]!;
        throw badInput(
          first.key,
          `refused, nothing written: ${stop.map((f) => f.message).join('; ')}`,
          first.hint ?? undefined,
        );
      }
      const files = planFiles(pl);
      if (files.length === 0)
        throw badInput(
          'staged',
          'the staged changes are already in effect; nothing to write',
          'xnet-tui dockerd show',
        );
      const run = { timeoutSeconds: p.timeoutSeconds, restartContainers: p.restartContainers ?? false };
      return this.#write(pl, run, findings, files, async () => saveStaged(this.#stagedFile, []));
    });
  }

  /**
   * Applies `changes` now, beside whatever the operator has staged (which stays staged): the same validation,
   * backup, restart and automatic rollback as `apply`. For drivers that give docker's bridge a subnet (ovs-gre).
   */
  applyNow(changes: StagedChange[], timeoutSeconds = 60): Promise<ApplyResult> {
    return this.#serial(async () => {
      const src = await readSources(this.d.locations);
      const staged = changes.reduce(
        (acc, c) => mergeStaged(acc, stageChange(src.daemon, c.key, c.value, c.to)),
        [] as StagedChange[],
      );
      const pl = plan(src, staged);
      const findings = validate(candidate(src, pl), await this.d.facts());
      const stop = blocking(findings, { insecureTcp: false });
      if (stop.length > 0) {
        const first = stop[0]!;
        throw badInput(
          first.key,
          `dockerd refused, nothing written: ${stop.map((f) => f.message).join('; ')}`,
          first.hint ?? undefined,
        );
      }
      const files = planFiles(pl);
      // Already in effect: no file to write, no restart.
      if (pl.daemonJson === null && pl.dropIn === null)
        return {
          outcome: 'applied',
          reason: null,
          daemonLog: [],
          backup: '',
          files,
          steps: [],
          findings,
          reattached: 0,
          containers: [],
          restarted: [],
        };
      // As before: the driver decides what to do with the containers the result says were stopped.
      const run = { timeoutSeconds, restartContainers: false };
      return this.#write(pl, run, findings, files, async () => undefined);
    });
  }

  rollback(p: { timeoutSeconds: number; restartContainers?: boolean }): Promise<ApplyResult> {
    return this.#serial(async () => {
      const last = (await listBackups(this.#backupDir)).at(-1);
      if (!last)
        throw badInput(
          'backup',
          'there is no backup to roll back to',
          'backups are made by `xnet-tui dockerd apply`',
        );
      const current = await backup(
        this.#backupDir,
        last.files.map((f) => f.path),
      );
      const res = await this.#run(
        current,
        () => restore(last),
        last.files.some((f) => f.path.endsWith('.conf')),
        { timeoutSeconds: p.timeoutSeconds, restartContainers: p.restartContainers ?? false },
        [],
        [],
        async () => {
          await markRestored(this.#backupDir, last);
          await markRestored(this.#backupDir, current);
        },
      );
      return { ...res, backup: last.id };
    });
  }

  /** Starts containers again (those an apply stopped); the agent's reconcile on `start` re-attaches them. */
  async startContainers(refs: string[]): Promise<Result<'dockerd.startContainers'>> {
    const r = await startContainers(this.d.docker, refs);
    if (r.some((x) => x.running)) await this.d.reattach().catch(() => 0);
    return { containers: r };
  }

  /** Backs up the files the plan changes, writes them atomically, then restarts as #run does. */
  async #write(
    pl: Plan,
    run: RunOptions,
    findings: Finding[],
    files: ApplyResult['files'],
    onSuccess: () => Promise<void>,
  ): Promise<ApplyResult> {
    const written = [pl.daemonJson, pl.dropIn].filter((f) => f !== null);
    const b = await backup(
      this.#backupDir,
      written.map((f) => f.path),
    );
    return this.#run(
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
  async #run(
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
      this.#applying = { phase: name, since: new Date().toISOString(), startedAt, timeoutSeconds };
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
      if (!(await waitHealthy(this.d.docker, timeoutMs)))
        throw new Error(`dockerd did not answer and list containers within ${timeoutSeconds} s`);
      return true;
    };
    const base = { backup: b.id, files, findings, containers: [], restarted: [] };
    // Asked before anything changes: afterwards the stopped containers look like any other stopped one.
    const before = await restartImpact(this.d.docker);
    /** After dockerd is healthy again: start what it stopped (if asked), re-attach, then every one's state. */
    const settle = async (): Promise<Pick<ApplyResult, 'reattached' | 'containers' | 'restarted'>> => {
      let restarted: string[] = [];
      if (run.restartContainers) {
        const stopped = stoppedBy(await containersAfter(this.d.docker, before));
        if (stopped.length > 0)
          restarted = await step('start containers', async () => {
            const r = await startContainers(
              this.d.docker,
              stopped.map((c) => c.id),
            );
            const failed = r.filter((x) => !x.running);
            if (failed.length) throw new Error(failed.map((x) => `${x.name}: ${x.error}`).join('; '));
            return stopped.map((c) => c.name);
          }).catch(() => []);
      }
      const reattached = await step('re-attach', () => this.d.reattach());
      return { reattached, containers: await containersAfter(this.d.docker, before), restarted };
    };
    try {
      await step('write', write);
      const mark = await markLog(this.d.restart);
      let reason: string | null = null;
      let restartWords: string[] = [];
      try {
        await step('restart', () => restartDockerd(this.d.restart, reload, timeoutMs));
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
        this.d.log(`dockerd options applied (backup ${b.id})`);
        return { ...base, outcome: 'applied', reason: null, daemonLog: [], steps, ...after };
      }
      // A restart command (the lab's) quotes the words of this start alone. The log since the mark also holds
      // what the old daemon said as it stopped ("Failed to get event ... transport is closing"), and can lag.
      // systemctl quotes only itself, so under systemd the journal is dockerd's voice.
      const quoted = this.d.restart.command !== 'systemd' && restartWords.length > 0;
      const fromLog = quoted ? [] : await logSince(this.d.restart, mark);
      const daemonLog = fromLog.length > 0 ? fromLog : restartWords;
      this.d.log(`dockerd did not come back (${reason}); restoring backup ${b.id}`);
      try {
        await step('restore backup', () => restore(b));
        await step('restart with the old options', () => restartDockerd(this.d.restart, reload, timeoutMs));
        await step('wait healthy', healthy);
        const after = await settle();
        // What is on disk is the backup again: it is no longer "the last change" to roll back.
        await markRestored(this.#backupDir, b);
        return { ...base, outcome: 'rolled-back', reason, daemonLog, steps, ...after };
      } catch (err) {
        const again = await logSince(this.d.restart, mark);
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
      this.#applying = null;
    }
  }
}

function stageAll(src: Sources, base: StagedChange[], p: Changes): StagedChange[] {
  let staged = base;
  for (const s of p.set) staged = mergeStaged(staged, stageChange(src.daemon, s.key, s.value, p.to));
  for (const key of p.unset) staged = mergeStaged(staged, stageChange(src.daemon, key, null));
  for (const m of p.move) {
    if (!isOptionKey(m.key))
      throw badInput(m.key, `"${m.key}" is not a dockerd network option xnet-tui manages`);
    const value = src.daemon.values[m.key as OptionKey] ?? src.flags.settings[m.key as OptionKey]?.value;
    if (value === undefined)
      throw badInput(
        m.key,
        `${m.key} is set neither in daemon.json nor as a flag; there is nothing to move`,
        `xnet-tui dockerd set ${m.key}=VALUE`,
      );
    staged = mergeStaged(staged, { key: m.key, value, to: m.to });
  }
  return staged;
}

function candidate(src: Sources, p: Plan | null): Candidate {
  return {
    fileRaw: p ? p.fileRaw : src.daemon.raw,
    filePath: src.daemon.path,
    fileNonStandard: p?.daemonJson ? null : src.daemon.nonStandard,
    flags: p ? p.flags : src.flags,
    flagsFile: p?.dropIn ? p.dropIn.path : (src.exec?.file ?? null),
    argv: p ? p.argv : (src.exec?.argv ?? []),
  };
}

function planFiles(p: Plan): ApplyResult['files'] {
  return [p.daemonJson, p.dropIn]
    .filter((f) => f !== null)
    .map((f) => ({ path: f.path, created: f.before === null, diff: f.diff }));
}

function fileFinding(src: Sources): Finding {
  return {
    severity: 'error',
    rule: 'file-unusable',
    key: 'daemon.json',
    message: `${src.daemon.path} is ${src.daemon.state}: ${src.daemon.error}; dockerd will not start with it, and xnet-tui will not overwrite it`,
    hint: 'fix it by hand (or move it aside), then `xnet-tui dockerd show` again',
  };
}
