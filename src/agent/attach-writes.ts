import type { StateStore, Attachment } from './state.js';

/**
 * Attach's records in the state file: applied at once (the next attach decides on them) and written with
 * whatever else was attached meanwhile (the store's group commit). Until a container's record is on disk,
 * anything else that changes that container waits for it: if the write fails, its undo runs first.
 */
export class AttachWrites {
  readonly #writing = new Map<string, Promise<void>>();

  constructor(
    private readonly store: StateStore,
    /** Told once a record is on disk, after the caller has had its answer (the mesh hears of it then). */
    private readonly written: () => void,
  ) {}

  /** Applies the attachment now; settles when the state file holds it. */
  record(a: Attachment): Promise<void> {
    const durable = this.store
      .update((s) => ({
        ...s,
        attachments: [...s.attachments.filter((x) => x.containerId !== a.containerId), a],
      }))
      .then(() => {
        setImmediate(this.written);
      });
    this.#writing.set(a.containerId, durable);
    void durable
      .catch(() => undefined)
      .finally(() => {
        if (this.#writing.get(a.containerId) === durable) this.#writing.delete(a.containerId);
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
