import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { failed } from '../errors.js';
import { LaunchSettings } from '../router/driver.js';

/** Desired state: what the operator asked for, kept on disk so the kernel can be reconciled to it. */
export const AttachmentSchema = z.object({
  containerId: z.string().regex(/^[0-9a-f]{64}$/),
  containerName: z.string(),
  ifname: z.string(),
  cidrs: z.array(z.string()).min(1),
  since: z.string(),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

/** A ping check the operator added (automatic checks are derived, never stored). */
export const PingCheckSchema = z.object({
  id: z.string().regex(/^u-[0-9a-f]{12}$/),
  target: z.string(),
  /** Container name the probes leave from; null for the host. */
  from: z.string().nullable(),
  since: z.string(),
});
export type StoredPingCheck = z.infer<typeof PingCheckSchema>;

export const StateSchema = z.object({
  version: z.literal(1),
  attachments: z.array(AttachmentSchema),
  /** The router as last launched; absent until the first launch and after a reset. */
  router: LaunchSettings.optional(),
  /** User-defined ping checks; absent until the first is added. */
  pingChecks: z.array(PingCheckSchema).optional(),
});
export type State = z.infer<typeof StateSchema>;

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

export const emptyState = (): State => ({ version: 1, attachments: [] });

export class StateStore {
  readonly file: string;
  #state: State = emptyState();
  #writes: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {
    this.file = join(dir, 'state.json');
  }

  get current(): Readonly<State> {
    return this.#state;
  }

  /** Loads the file; a missing file is an empty state, a damaged one stops the agent rather than being overwritten. */
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
      throw failed(
        `state file ${this.file} is not JSON: ${(err as Error).message}`,
        `fix it or move it aside; the agent will not overwrite it`,
      );
    }
    const result = StateSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw failed(
        `state file ${this.file} is invalid at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        'fix it or move it aside; the agent will not overwrite it',
      );
    }
    return (this.#state = result.data);
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
