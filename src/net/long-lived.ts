import type { Socket } from 'node:net';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/**
 * One long-lived child process that answers requests in order: a request is text written to its stdin, its
 * answer the lines it prints until the request's reader says done. Requests wait in a FIFO, each with its own
 * timer; a timeout, the child's exit or an error rejects every waiting request and kills the child, and the
 * next request starts a new one. What runs (ip/bridge -batch, a shell loop) and how an answer ends is the
 * caller's; a process per request was most of the agent's spawns (each blocks its thread until exec).
 */

/** What a request's answer is so far: undefined while more lines are wanted. */
export type Answer<T> = { value: T } | { error: Error } | undefined;

export interface LongLivedOptions {
  /** The program and its arguments (started with stdin, stdout and stderr piped). */
  argv: () => [string, string[]];
  /** Named in the errors: "ip -batch", "sh". */
  name: string;
  /** How long one answer may take before the child is thought stuck and replaced. */
  timeoutMs: number;
  /** Ended after this long with nothing waiting (the next request starts it again); never when unset. */
  idleMs?: number;
  /** The child does not keep the agent's event loop alive. */
  unref?: boolean;
  /** How a failed or closed child is ended (default SIGKILL; a shell given SIGTERM ends after its command). */
  signal?: NodeJS.Signals;
}

interface Waiting {
  read: (line: string) => Answer<unknown>;
  resolve: (v: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class LongLivedChild {
  #child: ChildProcessWithoutNullStreams | undefined;
  readonly #queue: Waiting[] = [];
  #out = '';
  #stderr = '';
  #idle: NodeJS.Timeout | undefined;

  constructor(private readonly o: LongLivedOptions) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Whether a child runs now (a failed one is gone until the next request). */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /**
   * Writes `input` and hands each line the child prints to `read` until it returns a value or an error (the
   * child lives on after an error the request itself reported). The input must end with a line break.
   */
  request<T>(input: string, read: (line: string) => Answer<T>): Promise<T> {
    const child = this.#current();
    clearTimeout(this.#idle);
    return new Promise<T>((resolve, reject) => {
      const w: Waiting = { read, resolve: resolve as (v: unknown) => void, reject, timer: undefined };
      w.timer = setTimeout(() => {
        // Timers run before I/O in a turn of the event loop: an agent that got no CPU for the whole timeout (a
        // 50-host lab at load 100) would fail an answer already waiting in the pipe, and kill a child that did
        // its work. The pipe is read first (setImmediate runs after the turn's I/O); only then is it a timeout.
        setImmediate(() => {
          if (this.#queue.includes(w))
            this.#fail(child, `no answer from ${this.o.name} in ${this.o.timeoutMs} ms`);
        });
      }, this.o.timeoutMs);
      this.#queue.push(w);
      child.stdin.write(input);
    });
  }

  /** Ends the child (idempotent); requests under way fail. */
  close(): void {
    clearTimeout(this.#idle);
    if (this.#child) this.#fail(this.#child, 'closed');
  }

  #current(): ChildProcessWithoutNullStreams {
    if (this.#child) return this.#child;
    const [file, args] = this.o.argv();
    const child = spawn(file, args, { stdio: 'pipe' });
    this.#child = child;
    this.#out = '';
    this.#stderr = '';
    // Its pipes too: an unref'd child whose pipes are ref'd still keeps a script alive after its last request
    // (bench/overlay stayed up an hour after its report). A request under way holds the loop by its timer.
    if (this.o.unref) {
      child.unref();
      // With stdio 'pipe' each stream is a net.Socket over the pipe; the types only say Writable/Readable.
      for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as Socket).unref();
    }
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.#read(child, chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => (this.#stderr = (this.#stderr + d).slice(-500)));
    child.on('error', (err) => this.#fail(child, err.message));
    // 'close', not 'exit': the child's last words on stderr are read by then (ip's reason for stopping).
    child.on('close', (code, signal) =>
      this.#fail(child, `${this.o.name} exited (${this.#stderr.trim() || signal || code})`),
    );
    child.stdin.on('error', () => undefined); // a closed pipe: the close handler reports it
    return child;
  }

  #read(child: ChildProcessWithoutNullStreams, chunk: string): void {
    if (child !== this.#child) return;
    this.#out += chunk;
    let nl: number;
    while ((nl = this.#out.indexOf('\n')) >= 0) {
      const line = this.#out.slice(0, nl);
      this.#out = this.#out.slice(nl + 1);
      const w = this.#queue[0];
      if (!w) continue;
      let answer: Answer<unknown>;
      try {
        answer = w.read(line);
      } catch (err) {
        answer = { error: err as Error };
      }
      if (!answer) continue;
      this.#queue.shift();
      clearTimeout(w.timer);
      if ('error' in answer) w.reject(answer.error);
      else w.resolve(answer.value);
      if (this.#queue.length === 0 && this.o.idleMs !== undefined)
        this.#idle = setTimeout(() => this.close(), this.o.idleMs).unref();
    }
  }

  #fail(child: ChildProcessWithoutNullStreams, why: string): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    child.stdin.end();
    if (child.exitCode === null && child.signalCode === null) child.kill(this.o.signal ?? 'SIGKILL');
    for (const w of this.#queue.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(why));
    }
  }
}
