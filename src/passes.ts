/**
 * One job at a time, run again after itself when asked while it ran: any number of requests during a pass fold
 * into one more pass, so the last request is always served and no two passes overlap (two passes programming
 * the same device at once would race each other's reads). `settle()` waits for the end of a pass that began
 * after it was called: the caller sees the world as it was when it asked, or newer.
 */
export class SerialPasses {
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  /** Who waits in settle(): each is released by the end of the first pass that began after it asked. */
  #waiting: (() => void)[] = [];

  constructor(
    private readonly pass: () => Promise<void>,
    /** A pass that failed; the next request runs it again. */
    private readonly onError: (err: Error) => void,
    /** No pass runs or waits any more (KeyedPasses forgets the key). */
    private readonly onIdle: () => void = () => undefined,
  ) {}

  request(): void {
    if (this.#stopped) {
      for (const done of this.#waiting.splice(0)) done();
      return;
    }
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        const settled = this.#waiting.splice(0);
        await this.pass().catch(this.onError);
        for (const done of settled) done();
      } while (this.#again && !this.#stopped);
      this.#running = undefined;
      for (const done of this.#waiting.splice(0)) done();
      this.onIdle();
    })();
  }

  settle(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.request();
    });
  }

  /** No pass starts after this; resolves when the one under way has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  /** For a start after stop(). */
  restart(): void {
    this.#stopped = false;
  }
}

/**
 * SerialPasses kept by key: one job at a time per key (a pull from one host), any number of keys at once;
 * requests for a key while its pass runs fold into one more pass. A key is forgotten when its passes end.
 */
export class KeyedPasses<K> {
  readonly #byKey = new Map<K, SerialPasses>();
  #stopped = false;

  constructor(
    private readonly pass: (key: K) => Promise<void>,
    private readonly onError: (key: K, err: Error) => void,
  ) {}

  request(key: K): void {
    if (this.#stopped) return;
    let p = this.#byKey.get(key);
    if (!p) {
      const passes = new SerialPasses(
        () => this.pass(key),
        (err) => this.onError(key, err),
        () => {
          if (this.#byKey.get(key) === passes) this.#byKey.delete(key);
        },
      );
      p = passes;
      this.#byKey.set(key, p);
    }
    p.request();
  }

  /** Keys with a pass under way or asked for. */
  get busy(): K[] {
    return [...this.#byKey.keys()];
  }

  /** No pass starts after this; resolves when those under way have ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const all = [...this.#byKey.values()];
    this.#byKey.clear();
    await Promise.all(all.map((p) => p.stop()));
  }

  /** For a start after stop(). */
  restart(): void {
    this.#stopped = false;
  }
}

/**
 * Jobs kept in order by key: each key's jobs run one after another, as they were asked for, and different keys
 * at once. Unlike the passes above nothing folds: every job runs (each carries its own change). A job's failure
 * is its own caller's; the next job runs all the same. A key is forgotten when its last job ends.
 */
export class KeyedQueue<K> {
  readonly #tails = new Map<K, Promise<void>>();

  run<T>(key: K, job: () => Promise<T>): Promise<T> {
    const next = (this.#tails.get(key) ?? Promise.resolve()).then(job);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}
