/**
 * What must reach the agent before the UI exits (an open capture's close), run on q and on signals, before the
 * connection goes: React runs effect cleanups after the agent hook has closed it, so they cannot send anything.
 */
export class BeforeExit {
  readonly #tasks = new Set<() => Promise<void>>();

  /** Adds a task; the function returned removes it. */
  add(task: () => Promise<void>): () => void {
    this.#tasks.add(task);
    return () => void this.#tasks.delete(task);
  }

  /** Runs every task at once; an agent that does not answer within `withinMs` does not hold the exit. */
  async run(withinMs = 1_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
    await Promise.race([Promise.allSettled([...this.#tasks].map((t) => t())), late]);
    clearTimeout(timer);
  }
}
