import { readFile, mkdir, rename } from 'node:fs/promises';
import { writeDurably } from './state-file.js';
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

interface Pending {
  change: (s: Readonly<State>) => State;
  resolve: (s: State) => void;
  reject: (err: Error) => void;
}

/**
 * The desired state on disk, written atomically; telemetry and attach see it as DesiredState. Writes are a
 * group commit: a change applies to `current` at once, and every change made while a write is under way goes
 * to disk together in the next one (one fsync for many concurrent attaches); each caller is answered only
 * when a write that includes its change is on disk.
 */
export class StateStore implements DesiredState {
  readonly file: string;
  /** Every change applied, written or not: what attach decides on. */
  #state: State = emptyState();
  /** What the file holds: where a failed write falls back to. */
  #durable: State = this.#state;
  /** Applied to #state, not yet in a write. */
  #pending: Pending[] = [];
  #writing = false;
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
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.#loaded(emptyState());
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return this.#recover(undefined, `not JSON: ${(err as Error).message}`);
    }
    const result = StateSchema.safeParse(parsed);
    if (result.success) return this.#loaded(result.data);
    const issue = result.error.issues[0];
    return this.#recover(parsed, `invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }

  #loaded(s: State): State {
    this.#durable = s;
    return (this.#state = s);
  }

  async #recover(parsed: unknown, reason: string): Promise<State> {
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.file, aside);
    const state = salvage(parsed);
    const kept = `${state.attachments.length} attachment(s)${state.router ? ', the router settings' : ''}`;
    this.recovery = `state file was damaged (${reason}); kept aside as ${aside}; recovered ${kept}`;
    await writeFileAtomic(this.file, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    return this.#loaded(state);
  }

  /**
   * Changes the state and writes it atomically (temp file, fdatasync, rename, the directory's fsync: see
   * writeDurably), readable by root only. Changes
   * apply one after another, each on the state its predecessor left: two RPCs that each add a ping check (or an
   * attachment) both land, where reading `current` and saving it back would let the second write over the
   * first. A change the schema refuses is rejected before anything is written, and blocks no other.
   */
  update(change: (s: Readonly<State>) => State): Promise<State> {
    let next: State;
    try {
      next = StateSchema.parse(change(this.#state));
    } catch (err) {
      return Promise.reject(err as Error);
    }
    this.#state = next;
    return new Promise<State>((resolve, reject) => {
      this.#pending.push({ change, resolve, reject });
      this.#flush();
    });
  }

  /** Writes every pending change in one go, unless a write is under way (its end starts the next). */
  #flush(): void {
    if (this.#writing || this.#pending.length === 0) return;
    this.#writing = true;
    const batch = this.#pending.splice(0);
    const state = this.#state;
    void writeDurably(this.file, JSON.stringify(state, null, 2) + '\n')
      .then(
        () => {
          this.#durable = state;
          for (const p of batch) p.resolve(state);
        },
        (err: NodeJS.ErrnoException) => {
          // None of the batch is on disk: back to what is, with the changes made since applied again on it.
          this.#state = this.#durable;
          for (const p of [...this.#pending]) {
            try {
              this.#state = StateSchema.parse(p.change(this.#state));
            } catch (e) {
              this.#pending.splice(this.#pending.indexOf(p), 1);
              p.reject(e as Error);
            }
          }
          const failure = writeFailed(this.file, err);
          for (const p of batch) p.reject(failure);
        },
      )
      .finally(() => {
        this.#writing = false;
        this.#flush();
      });
  }
}
