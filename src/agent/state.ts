import { readFile, mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { failed } from '../errors.js';
import {
  AttachmentSchema,
  emptyState,
  PingCheckSchema,
  STATE_VERSION,
  StateSchema,
  type DesiredState,
  type State,
} from '../api/state.js';
import { LaunchSettings } from '../api/router-status.js';

export * from '../api/state.js';

/** The parts of a damaged state that still match the schema, each on its own. */
function salvage(parsed: unknown): State {
  const o = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const each = <T>(v: unknown, schema: z.ZodType<T>): T[] =>
    (Array.isArray(v) ? v : []).flatMap((x) => {
      const r = schema.safeParse(x);
      return r.success ? [r.data] : [];
    });
  const router = LaunchSettings.safeParse(o.router);
  const pingChecks = each(o.pingChecks, PingCheckSchema);
  return {
    // The layout the file says it had; unknown is taken as schema 1 (the migration finds nothing to move).
    version: o.version === STATE_VERSION ? STATE_VERSION : 1,
    attachments: each(o.attachments, AttachmentSchema),
    ...(router.success ? { router: router.data } : {}),
    ...(pingChecks.length ? { pingChecks } : {}),
  };
}

/** A state write that failed, naming the file (not the temp file beside it) and what to check. */
function writeFailed(file: string, err: NodeJS.ErrnoException): Error {
  const why: Record<string, string> = {
    EPERM: 'not permitted (is the directory immutable? lsattr -d shows the i flag; chattr -i clears it)',
    EACCES: 'permission denied (the agent runs as root; check the directory mode and any mount options)',
    ENOSPC: 'no space left on the filesystem (df shows it; free some space)',
    EROFS: 'the filesystem is read-only',
    EDQUOT: 'the disk quota is exhausted',
  };
  const hint = why[err.code ?? ''];
  return failed(
    `cannot write the state file ${file}: ${err.code ?? err.message}`,
    `${hint ?? err.message}; then run the command again`,
  );
}

/** The desired state on disk, written atomically; telemetry and attach see it as DesiredState. */
export class StateStore implements DesiredState {
  readonly file: string;
  #state: State = emptyState();
  #writes: Promise<unknown> = Promise.resolve();
  /** Set when load found the file damaged: what was kept aside and what was recovered. */
  recovery: string | null = null;

  constructor(readonly dir: string) {
    this.file = join(dir, 'state.json');
  }

  get current(): Readonly<State> {
    return this.#state;
  }

  /**
   * Loads the file; a missing file is an empty state. A damaged one must not keep the agent down: it is kept
   * aside as state.json.corrupt-<time>, whatever parts still parse are kept, and `recovery` says so (status
   * shows it until the agent restarts).
   */
  async load(): Promise<State> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (this.#state = emptyState());
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return this.#recover(undefined, `not JSON: ${(err as Error).message}`);
    }
    const result = StateSchema.safeParse(parsed);
    if (result.success) return (this.#state = result.data);
    const issue = result.error.issues[0];
    return this.#recover(parsed, `invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }

  async #recover(parsed: unknown, reason: string): Promise<State> {
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.file, aside);
    const state = salvage(parsed);
    const kept = `${state.attachments.length} attachment(s)${state.router ? ', the router settings' : ''}`;
    this.recovery = `state file was damaged (${reason}); kept aside as ${aside}; recovered ${kept}`;
    await writeFileAtomic(this.file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    return (this.#state = state);
  }

  /**
   * Changes the state and writes it atomically (temp file, fsync, rename), readable by root only. Changes run
   * one after another, each on the state its predecessor wrote: two RPCs that each add a ping check (or an
   * attachment) both land, where reading `current` and saving it back would let the second write over the first.
   */
  update(change: (s: Readonly<State>) => State): Promise<State> {
    const done = this.#writes.then(async () => {
      const valid = StateSchema.parse(change(this.#state));
      await writeFileAtomic(this.file, JSON.stringify(valid, null, 2) + '\n', { mode: 0o600 }).catch(
        (err: NodeJS.ErrnoException) => {
          throw writeFailed(this.file, err);
        },
      );
      return (this.#state = valid);
    });
    this.#writes = done.catch(() => undefined);
    return done;
  }
}
