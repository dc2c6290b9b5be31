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

/** The devices a command names (`dev NAME`), which the tool resolves once and then keeps (see forgetLinks). */
const DEV_NAME = /\bdev\s+(\S+)/g;
const namesIn = (lines: readonly string[]): string[] =>
  lines.flatMap((l) => [...l.matchAll(DEV_NAME)].map((m) => m[1]!));

const oneLine = (l: string): void => {
  if (/[\n\r]/.test(l)) throw new Error(`batch line with a line break: ${JSON.stringify(l)}`);
};

export class BatchSession {
  readonly #child: LongLivedChild;
  /**
   * Device names this session's children have resolved (iproute2 keeps name -> ifindex for a process's life);
   * never cleared: one too many only ends a session that could have stayed.
   */
  readonly #names = new Set<string>();
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
    for (const n of namesIn([command])) this.#names.add(n);
    return this.#child.request<T[]>(`${command}\n`, (line) => ({
      value: (line.trim() ? JSON.parse(line) : []) as T[],
    }));
  }

  /** Runs these change lines in order; rejects with the tool's reason at the first that fails. */
  async write(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    lines.forEach(oneLine);
    this.#sameNamespace();
    for (const n of namesIn(lines)) this.#names.add(n);
    await this.#child.request<void>(`${lines.join('\n')}\n${WRITE_END[this.tool]}\n`, () => ({
      value: undefined,
    }));
  }

  close(): void {
    this.#child.close();
  }

  /** This child has resolved one of these names (its cached ifindex may be of a device now gone). */
  resolved(names: readonly string[]): boolean {
    return names.some((n) => this.#names.has(n));
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

/**
 * Devices of these names were made, removed or moved in `netns` (a path, or the name of one under /run/netns):
 * a session that resolved one of them ends, and the next request starts a fresh one. iproute2 keeps each
 * name's ifindex for the process's life (checked with 6.1: after a device is made anew under the same name,
 * a long-lived `ip -batch` shows `[]` for it and fails a write with "No such device"), so a VXLAN device or
 * bridge made again would otherwise read as empty.
 */
export function forgetLinks(netns: NetnsPath | string, names: readonly string[]): void {
  if (names.length === 0) return;
  for (const [k, s] of sessions) {
    const here = s.netns === netns || (!!netns && !!s.netns && s.netns.endsWith(`/${netns}`));
    if (here && s.resolved(names)) {
      s.close();
      sessions.delete(k);
    }
  }
}

/** Ends every session (the agent closes). */
export function closeAllSessions(): void {
  for (const s of sessions.values()) s.close();
  sessions.clear();
}
