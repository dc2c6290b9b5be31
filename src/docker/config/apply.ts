// show / stage / diff / apply / rollback of dockerd's network options, serialized by one queue. What staged
// changes would do is in staging.ts (pure); the write-restart-restore transaction is in transaction.ts.
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { z } from 'zod';
import { badInput, failed } from '../../errors.js';
import type { DockerdChanges, Result } from '../../api/index.js';
import { OPTION_KEYS, OPTIONS } from './options.js';
import { mergeStaged, plan, stageChange, type Sources, type StagedChange } from './plan.js';
import { effectiveOptions } from './sources.js';
import { restartImpact, startContainers } from './impact.js';
import { blocking, introducedErrors, validate, type HostFacts } from './validate.js';
import {
  backup,
  listBackups,
  loadStaged,
  markRestored,
  readSources,
  restore,
  saveStaged,
  type Locations,
} from './files.js';
import { describeRestart, type RestartMethod } from './restart.js';
import { candidate, diffResult, fileFinding, planFiles, stageAll } from './staging.js';
import { runRestart, writePlan, type ApplyResult, type TransactionContext } from './transaction.js';

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
    return diffResult(src, staged, facts, impact);
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
      return writePlan(this.#context(), pl, run, findings, files, async () =>
        saveStaged(this.#stagedFile, []),
      );
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
      return writePlan(this.#context(), pl, run, findings, files, async () => undefined);
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
      const res = await runRestart(
        this.#context(),
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

  #context(): TransactionContext {
    return {
      d: this.d,
      backupDir: this.#backupDir,
      setApplying: (a) => {
        this.#applying = a;
      },
    };
  }
}
