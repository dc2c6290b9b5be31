// One piece (over 300 lines): apply and rollback are one transaction (back up, write, restart, wait for
// health, restore on failure) serialized by one queue; splitting it would split the undo from the do.
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { z } from 'zod';
import { badInput, XnetError } from '../../errors.js';
import type { DockerdChanges, Result } from '../../api/index.js';
import { OPTION_KEYS, OPTIONS, isOptionKey, type OptionKey } from './options.js';
import { mergeStaged, plan, stageChange, type Plan, type Sources, type StagedChange } from './plan.js';
import { effectiveOptions } from './sources.js';
import { blocking, validate, type Candidate, type Finding, type HostFacts } from './validate.js';
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

/** show / stage / diff / apply / rollback of dockerd's network options: the effects around the pure core. */
export class DockerdConfig {
  #queue: Promise<unknown> = Promise.resolve();
  #applying: { phase: string; since: string } | null = null;
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
    const [src, staged, backups, facts] = await Promise.all([
      readSources(this.d.locations),
      loadStaged(this.#stagedFile),
      listBackups(this.#backupDir),
      this.d.facts(),
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
    };
  }

  stage(p: Changes & { clear: boolean }): Promise<Result<'dockerd.stage'>> {
    return this.#serial(async () => {
      const src = await readSources(this.d.locations);
      const base = p.clear ? [] : await loadStaged(this.#stagedFile);
      const staged = stageAll(src, base, p);
      await saveStaged(this.#stagedFile, staged);
      return this.#diff(src, staged);
    });
  }

  async diff(preview: Changes | undefined): Promise<Result<'dockerd.diff'>> {
    const src = await readSources(this.d.locations);
    const staged = await loadStaged(this.#stagedFile);
    return this.#diff(src, preview ? stageAll(src, staged, preview) : staged);
  }

  async #diff(src: Sources, staged: StagedChange[]): Promise<Result<'dockerd.diff'>> {
    const facts = await this.d.facts();
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
      return { staged, files: [], notes: [], findings: [finding], blocked: true, refused: err.message };
    }
    const findings = validate(candidate(src, p), facts);
    return {
      staged,
      files: planFiles(p),
      notes: p.notes,
      findings,
      blocked: blocking(findings, { insecureTcp: false }).length > 0 || planFiles(p).length === 0,
      refused: null,
    };
  }

  apply(p: { allowInsecureTcp: boolean; timeoutSeconds: number }): Promise<ApplyResult> {
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
      return this.#write(pl, p.timeoutSeconds, findings, files, async () => saveStaged(this.#stagedFile, []));
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
        };
      return this.#write(pl, timeoutSeconds, findings, files, async () => undefined);
    });
  }

  rollback(p: { timeoutSeconds: number }): Promise<ApplyResult> {
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
        p.timeoutSeconds,
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

  /** Backs up the files the plan changes, writes them atomically, then restarts as #run does. */
  async #write(
    pl: Plan,
    timeoutSeconds: number,
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
      timeoutSeconds,
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
    timeoutSeconds: number,
    findings: Finding[],
    files: ApplyResult['files'],
    onSuccess: () => Promise<void>,
  ): Promise<ApplyResult> {
    const steps: Step[] = [];
    const timeoutMs = timeoutSeconds * 1000;
    const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      this.#applying = { phase: name, since: new Date().toISOString() };
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
    const base = { backup: b.id, files, findings };
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
        const reattached = await step('re-attach', () => this.d.reattach());
        await onSuccess();
        this.d.log(`dockerd options applied (backup ${b.id})`);
        return { ...base, outcome: 'applied', reason: null, daemonLog: [], steps, reattached };
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
        const reattached = await step('re-attach', () => this.d.reattach());
        // What is on disk is the backup again: it is no longer "the last change" to roll back.
        await markRestored(this.#backupDir, b);
        return { ...base, outcome: 'rolled-back', reason, daemonLog, steps, reattached };
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
