import { LongLivedChild } from './long-lived.js';
import { diesWithParent } from './netns.js';
import { BatchFrames, checkBatchLine, type BatchResult } from './bpftool-frames.js';

/**
 * One long-lived `bpftool -j -p batch file -` for map reads and writes with no process each (as batch-session.ts
 * is for ip/bridge): a spawn blocks the agent's thread until exec, and every agent wrote and read its maps with
 * a bpftool each, one a second at least. bpftool runs each line as it arrives and answers each command as soon
 * as it is done (bpftool-frames.ts), so every write answers for itself (`"output": null`) and no closing command is
 * needed. A failing line ends bpftool (as `ip -batch`): the request fails with its reason, the process is ended,
 * and the other callers' requests queued behind it, which bpftool did not run, go to the next one. Run in the
 * agent's own namespaces: pinned maps are paths on its bpffs (`ip netns exec` would mount another /sys).
 */

/** Line-buffered stdout: bpftool writes to a pipe in 4 KB blocks otherwise (pretty JSON is lines). */
const ARGV: [string, string[]] = ['stdbuf', ['-oL', 'bpftool', '-j', '-p', 'batch', 'file', '-']];
/** How long one answer may take before bpftool is thought stuck and replaced. */
const ANSWER_TIMEOUT_MS = 5_000;

export class BpftoolSession {
  readonly #child = new LongLivedChild({
    argv: () => diesWithParent(ARGV),
    name: 'bpftool batch',
    timeoutMs: ANSWER_TIMEOUT_MS,
    unref: true,
  });
  /** The bpftool that stopped at a failed line (its other requests ran nothing after it). */
  #endedByFailedLine: number | undefined;

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Runs the lines in order: each command and its output; rejects with bpftool's reason at the first failure.
   * A failure is its own request's only: when another request's line fails, bpftool stops there and this
   * request is sent again to the next bpftool (see #replayable).
   */
  async run(lines: readonly string[]): Promise<BatchResult[]> {
    if (lines.length === 0) return [];
    lines.forEach(checkBatchLine);
    for (;;) {
      const frames = new BatchFrames(lines.length);
      const answer = this.#child.request(`${lines.join('\n')}\n`, (l) => frames.read(l));
      const pid = this.#child.pid;
      try {
        return await answer;
      } catch (err) {
        if (frames.failed) this.#endedByFailedLine = pid;
        else if (this.#replayable(frames, pid)) continue;
        // bpftool stops at a failed line, and an answer that did not parse leaves the framing unknown: a new one.
        if (this.#child.pid === pid) this.#child.close();
        throw err;
      }
    }
  }

  /**
   * Whether a request that failed without an answer of its own may be sent again. Requests are written to
   * bpftool as they come, so several can be in its pipe when one line fails. bpftool's batch stops at the
   * first failing command and prints each command's object as it starts it: a request behind the failed one
   * that printed nothing never ran, and is sent once more to the next bpftool (which the failed one's close
   * started). Any other end (a timeout, bpftool's crash, an answer that did not parse) or a request that had
   * started printing may have taken effect, so it fails as before rather than be written twice.
   */
  #replayable(frames: BatchFrames, pid: number | undefined): boolean {
    return pid !== undefined && pid === this.#endedByFailedLine && !frames.started;
  }

  /** Map update/delete lines, in order. */
  async write(lines: readonly string[]): Promise<void> {
    await this.run(lines);
  }

  /** One command's output (a lookup, a dump). */
  async one<T>(line: string): Promise<T> {
    const [r] = await this.run([line]);
    return r!.output as T;
  }

  close(): void {
    this.#child.close();
  }
}

/**
 * writes: the agent's map writes (attach's path among them); reads: the counters' read each second, apart so
 * attach's write never waits behind a big dump.
 */
export type SessionRole = 'writes' | 'reads';
const sessions = new Map<SessionRole, BpftoolSession>();

/** This process's session for `role` (started on first use, and again after a failure). */
export function bpftool(role: SessionRole = 'writes'): BpftoolSession {
  let s = sessions.get(role);
  if (!s) sessions.set(role, (s = new BpftoolSession()));
  return s;
}

/** The running sessions' processes (tests count them). */
export function bpftoolPids(): number[] {
  return [...sessions.values()].flatMap((s) => (s.pid ? [s.pid] : []));
}

/** Ends every session (the agent closes). */
export function closeBpftoolSessions(): void {
  for (const s of sessions.values()) s.close();
  sessions.clear();
}
