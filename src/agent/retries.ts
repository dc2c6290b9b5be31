/** First retry after 250 ms, doubling, at most 30 s apart: quick for a race that clears, calm for a lasting fault. */
export function backoffMs(attempt: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, attempt - 1));
}

export interface Failure {
  key: string;
  reason: string;
  attempts: number;
  /** When the next attempt runs (ms since the epoch). */
  retryAt: number;
}

/**
 * Work that failed and is tried again with back-off until it succeeds or is cancelled; what failed and why
 * stays readable (ps and status show it) until then.
 */
export class Retries {
  #failures = new Map<string, Failure & { timer: NodeJS.Timeout }>();

  constructor(
    private readonly run: (key: string) => Promise<unknown>,
    private readonly now: () => number = Date.now,
  ) {}

  failed(key: string, reason: string): Failure {
    const prior = this.#failures.get(key);
    if (prior) clearTimeout(prior.timer);
    const attempts = (prior?.attempts ?? 0) + 1;
    const delay = backoffMs(attempts);
    // The run reports its own outcome (failed or succeeded again); a rejection here is already recorded.
    const timer = setTimeout(() => void this.run(key).catch(() => undefined), delay);
    timer.unref();
    const f = { key, reason, attempts, retryAt: this.now() + delay, timer };
    this.#failures.set(key, f);
    return { key, reason, attempts, retryAt: f.retryAt };
  }

  succeeded(key: string): void {
    this.cancel(key);
  }

  cancel(key: string): void {
    const f = this.#failures.get(key);
    if (f) clearTimeout(f.timer);
    this.#failures.delete(key);
  }

  get(key: string): Failure | undefined {
    const f = this.#failures.get(key);
    return f && { key: f.key, reason: f.reason, attempts: f.attempts, retryAt: f.retryAt };
  }

  list(): Failure[] {
    return [...this.#failures.keys()].map((k) => this.get(k)!);
  }

  close(): void {
    for (const k of [...this.#failures.keys()]) this.cancel(k);
  }
}
