import { readFileSync } from 'node:fs';

/** The lab tests' one wait loop: what they wait for is named, and a timeout says what was last seen. */

/**
 * Asks `get` (at once, then every `everyMs`) until `ok` holds of what it gives, and returns that and how long it
 * took; after `ms`, throws naming `what` and the last value seen (a screen as it is, anything else as JSON).
 */
export async function eventually<T>(
  what: string,
  get: () => T | Promise<T>,
  ok: (v: T) => boolean,
  ms: number,
  everyMs = 100,
): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < ms) {
    last = await get();
    if (ok(last)) return { value: last, ms: Date.now() - start };
    await new Promise((r) => setTimeout(r, everyMs));
  }
  const seen = typeof last === 'string' ? `\n${last}` : JSON.stringify(last)?.slice(0, 3000);
  throw new Error(`${what}: not within ${ms} ms; last seen ${seen}`);
}

/** Waits until `ok` holds; the milliseconds it took. */
export async function until(what: string, ok: () => boolean | Promise<boolean>, ms: number): Promise<number> {
  return (await eventually(what, ok, (v) => v, ms)).ms;
}

/** Whether a process with this PID exists (signal 0 delivers nothing). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn`; when it throws, the error names the last `lines` lines of each of these logs too (a lab host's
 * serf or agent log: what a timing failure on a loaded CI machine leaves nowhere else).
 */
export async function withLogs<T>(logs: readonly string[], fn: () => Promise<T>, lines = 25): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const tails = logs.map((f) => {
      let text: string;
      try {
        text = readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch (e) {
        text = `(unreadable: ${(e as Error).message})`;
      }
      return `--- ${f} (last ${lines} lines)\n${text}`;
    });
    (err as Error).message += `\n${tails.join('\n')}`;
    throw err;
  }
}
