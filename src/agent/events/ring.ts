import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { HealthEvent } from '../../api/events.js';
import type { EventDraft } from './derive.js';

export const EVENTS_KEPT = 300;

const EventsFile = z.object({
  version: z.literal(1),
  /** The last seq handed out, kept even when the events themselves rolled off. */
  seq: z.number().int().min(0),
  events: z.array(HealthEvent),
});

/**
 * The last few hundred health events, in memory and in `events.json` in the state directory (written
 * atomically after each batch), so they outlive an agent restart and a TUI restart sees what it missed.
 */
export class EventRing {
  readonly file: string;
  #seq = 0;
  #events: HealthEvent[] = [];
  #writes: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<(e: HealthEvent[]) => void>();

  constructor(
    dir: string,
    readonly capacity = EVENTS_KEPT,
    private readonly log: (msg: string) => void = () => undefined,
  ) {
    this.file = join(dir, 'events.json');
  }

  /** A damaged file is moved aside, not fatal: events are history, not desired state. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let parsed: z.infer<typeof EventsFile> | undefined;
    try {
      parsed = EventsFile.parse(JSON.parse(text));
    } catch (err) {
      const aside = `${this.file}.damaged`;
      await rename(this.file, aside).catch(() => undefined);
      this.log(`events: ${this.file} unreadable (${(err as Error).message}); moved to ${aside}`);
      return;
    }
    this.#events = parsed.events.slice(-this.capacity);
    this.#seq = Math.max(parsed.seq, this.#events.at(-1)?.seq ?? 0);
  }

  get latest(): number {
    return this.#seq;
  }

  since(seq = 0, limit = this.capacity): HealthEvent[] {
    return this.#events.filter((e) => e.seq > seq).slice(-limit);
  }

  /** Stamps and keeps the drafts; resolves when they are on disk. */
  push(drafts: readonly EventDraft[], at = new Date()): Promise<HealthEvent[]> {
    if (drafts.length === 0) return Promise.resolve([]);
    const stamped = drafts.map((d) => ({ seq: ++this.#seq, at: at.toISOString(), ...d }));
    this.#events = [...this.#events, ...stamped].slice(-this.capacity);
    for (const l of this.#listeners) l(stamped);
    const body = { version: 1 as const, seq: this.#seq, events: this.#events };
    const done = this.#writes.then(() =>
      writeFileAtomic(this.file, JSON.stringify(body) + '\n', { mode: 0o600 }),
    );
    this.#writes = done.catch((err: Error) => this.log(`events: writing ${this.file}: ${err.message}`));
    return done.then(() => stamped);
  }

  onEvents(listener: (e: HealthEvent[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
