import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { failed } from '../errors.js';
import { emptyState, StateSchema, type DesiredState, type State } from '../api/state.js';

export * from '../api/state.js';

/** The desired state on disk, written atomically; telemetry and attach see it as DesiredState. */
export class StateStore implements DesiredState {
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
      await writeFileAtomic(this.file, JSON.stringify(valid, null, 2) + '\n', { mode: 0o600 });
      return (this.#state = valid);
    });
    this.#writes = done.catch(() => undefined);
    return done;
  }
}
