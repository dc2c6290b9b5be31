/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The one sleep-and-poll loop: asks `check` (at once, then every `everyMs`) until it gives a value other than
 * undefined, or `withinMs` has passed; returns that value, or undefined at the deadline. What `check` throws
 * propagates, so a check can give up early (a process that died, a daemon that exited).
 */
export async function poll<T>(
  check: () => T | undefined | Promise<T | undefined>,
  o: { everyMs: number; withinMs: number },
): Promise<T | undefined> {
  const deadline = Date.now() + o.withinMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(o.everyMs);
  }
}
