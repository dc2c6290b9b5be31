import { LongLivedChild } from './long-lived.js';
import { diesWithParent, inNetns, netnsId, type NetnsPath } from './netns.js';

/**
 * One long-lived `ip -json -batch -` or `bridge -json -batch -` in a namespace, for reads and writes with no
 * process each. Both tools answer a show command at once with one JSON array on one line (checked with
 * iproute2 6.1: they flush per command), print nothing for a change, and stop at the first line that fails,
 * saying why on stderr; so a write is its lines followed by a show whose answer says they all went through, and
 * a failed line ends the session (the waiting requests fail; the next use starts another).
 */

export type BatchTool = 'ip' | 'bridge';
/** A cheap show whose one-line answer closes a write: every namespace has lo. */
const WRITE_END: Record<BatchTool, string> = { ip: 'link show dev lo', bridge: 'fdb show dev lo' };
/** How long one answer may take before the helper is thought stuck and replaced. */
const ANSWER_TIMEOUT_MS = 5_000;

function identityOf(netns: NetnsPath): string | undefined {
  if (!netns) return undefined;
  try {
    return netnsId(netns);
  } catch {
    return undefined;
  }
}

const oneLine = (l: string): void => {
  if (/[\n\r]/.test(l)) throw new Error(`batch line with a line break: ${JSON.stringify(l)}`);
};

export class BatchSession {
  readonly #child: LongLivedChild;
  /** The namespace's identity when the child entered it: a namespace made anew under the same name is another. */
  #identity: string | undefined;

  constructor(
    readonly netns: NetnsPath,
    readonly tool: BatchTool,
    readonly flags: readonly string[] = [],
  ) {
    this.#child = new LongLivedChild({
      argv: () => {
        this.#identity = identityOf(netns);
        return diesWithParent(inNetns(netns, tool, ['-json', ...flags, '-batch', '-']));
      },
      name: `${tool} -batch`,
      timeoutMs: ANSWER_TIMEOUT_MS,
      unref: true,
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** What `TOOL -json SHOW` prints, parsed. */
  show<T>(command: string): Promise<T[]> {
    oneLine(command);
    this.#sameNamespace();
    return this.#child.request<T[]>(`${command}\n`, (line) => ({
      value: (line.trim() ? JSON.parse(line) : []) as T[],
    }));
  }

  /** Runs these change lines in order; rejects with the tool's reason at the first that fails. */
  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    lines.forEach(oneLine);
    this.#sameNamespace();
    await this.#child.request<void>(`${lines.join('\n')}\n${WRITE_END[this.tool]}\n`, () => ({
      value: undefined,
    }));
  }

  close(): void {
    this.#child.close();
  }

  #sameNamespace(): void {
    if (this.#child.running && this.#identity !== identityOf(this.netns)) this.#child.close();
  }
}

const sessions = new Map<string, BatchSession>();
const keyOf = (netns: NetnsPath, tool: BatchTool, flags: readonly string[]): string =>
  JSON.stringify([netns ?? '', tool, flags]);

/** The namespace's long-lived session for `tool` with these flags (made on first use). */
export function batchSession(netns: NetnsPath, tool: BatchTool, flags: readonly string[] = []): BatchSession {
  const key = keyOf(netns, tool, flags);
  let s = sessions.get(key);
  if (!s) {
    s = new BatchSession(netns, tool, flags);
    sessions.set(key, s);
  }
  return s;
}

/** The running sessions' processes with these flags (tests count them). */
export function sessionPids(tool: BatchTool, flags: readonly string[]): number[] {
  const want = JSON.stringify(flags);
  return [...sessions.values()].flatMap((s) =>
    s.tool === tool && JSON.stringify(s.flags) === want && s.pid ? [s.pid] : [],
  );
}

/** Ends every session in one namespace (it is being removed: a session must not keep it alive). */
export function closeSessions(netns: NetnsPath): void {
  for (const [k, s] of sessions)
    if (s.netns === netns) {
      s.close();
      sessions.delete(k);
    }
}

/** Ends every session (the agent closes). */
export function closeAllSessions(): void {
  for (const s of sessions.values()) s.close();
  sessions.clear();
}
