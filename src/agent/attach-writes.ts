import type { StateStore, Attachment } from './state.js';

/** A record applied to the state: on disk when `durable` settles; `undo` puts back what was there before. */
export interface Recorded {
  durable: Promise<void>;
  undo: () => Promise<void>;
}

/**
 * Attach's records in the state file: applied at once (the next attach decides on them) and written with
 * whatever else was attached meanwhile (the store's group commit). Until a container's record is on disk,
 * anything else that changes that container waits for it: if the write fails, its undo runs first.
 */
export class AttachWrites {
  readonly #writing = new Map<string, Promise<void>>();

  constructor(
    private readonly store: StateStore,
    /** Told once a record is on disk (the mesh hears of it then, at most every 500 ms). */
    private readonly written: () => void,
  ) {}

  /** Applies the attachment now; `durable` settles when the state file holds it. */
  record(a: Attachment): Recorded {
    const before = this.store.current.attachments.find((x) => x.containerId === a.containerId);
    const durable = this.put(a.containerId, a);
    // The caller awaits it once the kernel is done; until then a failed write must not be an unhandled rejection.
    durable.catch(() => undefined);
    return { durable, undo: () => this.put(a.containerId, before) };
  }

  /**
   * The container's attachment becomes `a` (none: removed; detach and repairs use it too); settles when the
   * state file holds it.
   */
  put(containerId: string, a: Attachment | undefined): Promise<void> {
    const durable = this.store
      .update((s) => ({
        ...s,
        attachments: [...s.attachments.filter((x) => x.containerId !== containerId), ...(a ? [a] : [])],
      }))
      .then(() => {
        setImmediate(this.written);
      });
    this.#writing.set(containerId, durable);
    void durable
      .catch(() => undefined)
      .finally(() => {
        if (this.#writing.get(containerId) === durable) this.#writing.delete(containerId);
      });
    return durable;
  }

  /** The container's last record is on disk, or its write failed and was undone. */
  async settled(containerId: string): Promise<void> {
    await this.#writing.get(containerId)?.catch(() => undefined);
  }

  /** Every record is settled: changes other than attach (not on the hot path) start from a written state. */
  async allSettled(): Promise<void> {
    await Promise.all([...this.#writing.values()].map((w) => w.catch(() => undefined)));
  }
}
