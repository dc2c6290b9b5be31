import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { diesWithParent } from './netns.js';

/**
 * Long-lived tools that print lines (the probe loops' fping), started by xnet-spawner (spawner.c), a small
 * process that forks for the agent and hands their lines back, so the agent does not fork itself for each.
 * A spawn from Node copies the agent's page tables (about 100 MB mapped) and blocks its thread until the child
 * has exec'd: a probe loop restarted at every join on every host of a forming 50-host mesh was a twentieth of
 * the agents' CPU, and each waited, on a loaded machine, for the child to get a CPU. Where the helper was not
 * built (no C compiler), the tool is spawned from Node as before.
 */

/** Built by scripts/build-bpf.sh. */
export const SPAWNER = fileURLToPath(new URL('./xnet-spawner', import.meta.url));

export interface LineHandlers {
  /** Each line the tool prints on stdout. */
  line: (line: string) => void;
  /** What it prints on stderr, as it comes (a line at a time through the helper). */
  stderr: (text: string) => void;
  /** It ended (after its last line): its exit code, or the signal that ended it. */
  exit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

/** A running tool: its PID once known (the helper says it a moment after the request), and a way to signal it. */
export interface LineChild {
  readonly pid: number | undefined;
  kill(signal: NodeJS.Signals): void;
}

/** The helper speaks signal numbers; Node's names for them are the platform's own table. */
const signalName = (n: number): NodeJS.Signals =>
  (Object.keys(constants.signals) as NodeJS.Signals[]).find((s) => constants.signals[s] === n) ?? 'SIGKILL';

interface Running {
  handlers: LineHandlers;
  pid: number | undefined;
  /** Pieces of a stdout line still without its line break. */
  partial: string;
}

/** The agent's one xnet-spawner, started on first use and again after it ends. */
export class Spawner {
  #helper: ChildProcessWithoutNullStreams | undefined;
  #next = 1;
  readonly #running = new Map<string, Running>();

  constructor(readonly path = SPAWNER) {}

  get pid(): number | undefined {
    return this.#helper?.pid;
  }

  start(file: string, args: readonly string[], handlers: LineHandlers): LineChild {
    for (const a of [file, ...args])
      if (/[\t\n\r]/.test(a))
        throw new Error(`xnet-spawner: an argument with a tab or line break: ${JSON.stringify(a)}`);
    const helper = this.#current();
    const id = String(this.#next++);
    const r: Running = { handlers, pid: undefined, partial: '' };
    this.#running.set(id, r);
    helper.stdin.write(`s\t${id}\t${[file, ...args].join('\t')}\n`);
    return {
      get pid() {
        return r.pid;
      },
      // In order after the start: the helper knows the child by its ID before it has said its PID.
      kill: (signal) => {
        if (this.#running.get(id) !== r || this.#helper !== helper) return;
        helper.stdin.write(`k\t${id}\t${constants.signals[signal]}\n`);
      },
    };
  }

  #current(): ChildProcessWithoutNullStreams {
    if (this.#helper) return this.#helper;
    const [file, args] = diesWithParent([this.path, []]);
    const helper = spawn(file, args, { stdio: 'pipe' });
    this.#helper = helper;
    // It keeps no script alive by itself: the tools it runs are the caller's to end.
    helper.unref();
    for (const s of [helper.stdin, helper.stdout, helper.stderr]) (s as unknown as Socket).unref();
    helper.stdin.on('error', () => undefined); // a closed pipe: the close handler reports it
    let said = '';
    helper.stderr.setEncoding('utf8');
    helper.stderr.on('data', (d: string) => (said = (said + d).slice(-500)));
    // Split on line breaks only (readline would also end a line at a tool's carriage return).
    let out = '';
    helper.stdout.setEncoding('utf8');
    helper.stdout.on('data', (chunk: string) => {
      out += chunk;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        this.#read(line);
      }
    });
    helper.on('error', (err) => this.#lost(helper, err.message));
    helper.on('close', (code, signal) => this.#lost(helper, said.trim() || `${signal ?? code}`));
    return helper;
  }

  #read(line: string): void {
    const m = /^(\d+) ([poOeExs]) ?(.*)$/s.exec(line);
    const r = m && this.#running.get(m[1]!);
    if (!m || !r) return;
    const [, id, kind, rest] = m as unknown as [string, string, string, string];
    if (kind === 'p') r.pid = Number(rest);
    else if (kind === 'o') {
      r.handlers.line(r.partial + rest);
      r.partial = '';
    } else if (kind === 'O') r.partial += rest;
    else if (kind === 'e') r.handlers.stderr(`${rest}\n`);
    else if (kind === 'E') r.handlers.stderr(rest);
    else {
      this.#running.delete(id);
      if (r.partial) r.handlers.line(r.partial);
      if (kind === 'x') r.handlers.exit(Number(rest), null);
      else r.handlers.exit(null, signalName(Number(rest)));
    }
  }

  /** The helper ended: so did every tool it ran (their parent-death signal). */
  #lost(helper: ChildProcess, why: string): void {
    if (this.#helper !== helper) return;
    this.#helper = undefined;
    const running = [...this.#running.values()];
    this.#running.clear();
    for (const r of running) {
      r.handlers.stderr(`xnet-spawner exited (${why})\n`);
      r.handlers.exit(null, 'SIGKILL');
    }
  }

  /** Ends the helper, and with it every tool it runs (tests). */
  close(): void {
    this.#helper?.kill('SIGKILL');
  }
}

let shared: Spawner | undefined | null;

/** The agent's spawner, or undefined where xnet-spawner was not built. */
export function spawner(): Spawner | undefined {
  if (shared === undefined) shared = existsSync(SPAWNER) ? new Spawner() : null;
  return shared ?? undefined;
}

/** Ends the agent's spawner and whatever it still runs (the agent stops); a later start begins another. */
export function closeSpawner(): void {
  shared?.close();
}

/** Tests: use the helper at `path` (built in dist/ while tests run from src/), or none (null: Node's spawn). */
export function useSpawner(path: string | null): void {
  shared?.close();
  shared = path === null ? null : new Spawner(path);
}

/**
 * Starts a long-lived tool whose output is read a line at a time, through the spawner where there is one, else
 * with Node's spawn (and setpriv, so it dies with the agent either way).
 */
export function startLines(file: string, args: readonly string[], handlers: LineHandlers): LineChild {
  const s = spawner();
  if (s) return s.start(file, args, handlers);
  const [f, a] = diesWithParent([file, [...args]]);
  const child = spawn(f, a, { stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stdout }).on('line', handlers.line);
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', handlers.stderr);
  let ended = false;
  const end = (code: number | null, signal: NodeJS.Signals | null) => {
    if (ended) return;
    ended = true;
    handlers.exit(code, signal);
  };
  child.on('error', (err) => {
    handlers.stderr(`${err.message}\n`);
    end(127, null);
  });
  child.on('close', end);
  return {
    get pid() {
      return child.pid;
    },
    kill: (signal) => {
      if (!ended) child.kill(signal);
    },
  };
}

/**
 * Runs a short tool the same way and resolves its exit code (null: ended by a signal, or killed after
 * `timeoutMs`); its output is not kept. The path MTU's single pings: a run of them per peer searched.
 */
export function exitCodeOf(file: string, args: readonly string[], timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const child = startLines(file, args, {
      line: () => undefined,
      stderr: () => undefined,
      exit: (code) => {
        clearTimeout(timer);
        resolve(code);
      },
    });
  });
}
