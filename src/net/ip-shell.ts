import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { failed } from '../errors.js';
import { diesWithParent, inNetns, netnsId, type NetnsPath } from './netns.js';

/**
 * Ends every request: a command that always fails without asking the kernel (an object neither ip nor tc
 * knows), so its "Command failed -:N" on stderr says the lines before it are done.
 */
const END = 'xnet-end-of-request';
const FAILED = /^Command failed -:(\d+)$/;
const IDLE_MS = 5_000;
const TIMEOUT_MS = 10_000;

interface Request {
  lines: readonly string[];
  /** Line numbers (ip counts from 1) of the request's first line and of its END. */
  first: number;
  end: number;
  errors: string[];
  timer: NodeJS.Timeout;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One long-lived `ip -force -batch -` (or `tc`) in a namespace, fed through stdin: a burst of attaches plugs and
 * hooks veths with no process per attach (a spawn blocks the agent's thread for a few ms, more than the netlink
 * work it does). ip and tc report a failed
 * line on stderr as the error's text and then "Command failed -:N", N counting every line it has read; with
 * -force it goes on to the next line, so each request ends with END and its errors are the lines in its range.
 * Unlike a one-off `ip -batch`, a request's lines after a failing one still run. The process is ended after
 * 5 s idle (nothing left running between bursts) and replaced when the namespace at the path is a new one
 * (a reset removes and makes it again; the old process would hold the old one alive and program it).
 */
export class IpShell {
  #child: ChildProcessWithoutNullStreams | undefined;
  #ns = '';
  #line = 0;
  #queue: Request[] = [];
  #stderr = '';
  #text: string[] = [];
  #idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly netns: NetnsPath,
    private readonly tool: 'ip' | 'tc' = 'ip',
  ) {}

  /** Runs the lines in order; rejects with the first failing line's error once all have run. */
  run(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    for (const l of lines)
      if (/[\n\r]/.test(l)) throw new Error(`ip line with a line break: ${JSON.stringify(l)}`);
    const child = this.#current();
    clearTimeout(this.#idle);
    return new Promise<void>((resolve, reject) => {
      const first = this.#line + 1;
      this.#line += lines.length + 1;
      const timer = setTimeout(() => this.#fail(child, `no answer in ${TIMEOUT_MS} ms`), TIMEOUT_MS);
      this.#queue.push({ lines, first, end: this.#line, errors: [], timer, resolve, reject });
      child.stdin.write([...lines, END].join('\n') + '\n');
    });
  }

  /** Ends the process (idempotent); requests under way fail. */
  close(): void {
    clearTimeout(this.#idle);
    if (this.#child) this.#fail(this.#child, 'closed');
  }

  #current(): ChildProcessWithoutNullStreams {
    const ns = this.netns ? netnsId(this.netns) : '';
    if (this.#child && ns !== this.#ns) this.#fail(this.#child, 'its namespace was replaced');
    if (this.#child) return this.#child;
    const [file, args] = diesWithParent(inNetns(this.netns, this.tool, ['-force', '-batch', '-']));
    const child = spawn(file, args, { stdio: 'pipe' });
    this.#child = child;
    this.#ns = ns;
    this.#line = 0;
    this.#stderr = '';
    this.#text = [];
    child.stdout.resume(); // link and address commands print nothing; anything else is dropped
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => this.#read(child, chunk));
    child.on('error', (err) => this.#fail(child, err.message));
    child.on('exit', (code, signal) => this.#fail(child, `${this.tool} exited (${signal ?? code})`));
    child.stdin.on('error', () => undefined); // a closed pipe: the exit handler reports it
    return child;
  }

  #read(child: ChildProcessWithoutNullStreams, chunk: string): void {
    if (child !== this.#child) return;
    this.#stderr += chunk;
    let nl: number;
    while ((nl = this.#stderr.indexOf('\n')) >= 0) {
      const line = this.#stderr.slice(0, nl);
      this.#stderr = this.#stderr.slice(nl + 1);
      const m = FAILED.exec(line);
      if (!m) {
        if (line.trim()) this.#text.push(line.trim());
        continue;
      }
      const n = Number(m[1]);
      const why = this.#text.join('; ');
      this.#text = [];
      const r = this.#queue[0];
      if (!r) continue;
      if (n !== r.end) {
        if (n >= r.first && n < r.end) r.errors.push(`${r.lines[n - r.first]}: ${why}`);
        continue;
      }
      this.#queue.shift();
      clearTimeout(r.timer);
      if (r.errors.length) r.reject(failed(`${this.tool}: ${r.errors.join('; ')}`));
      else r.resolve();
      if (this.#queue.length === 0) this.#idle = setTimeout(() => this.close(), IDLE_MS).unref();
    }
  }

  /** The process is done with: every request under way fails, and the next run starts another. */
  #fail(child: ChildProcessWithoutNullStreams, why: string): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    child.stdin.end();
    child.kill();
    for (const r of this.#queue.splice(0)) {
      clearTimeout(r.timer);
      r.reject(failed(`${this.tool} -batch in ${this.netns ?? 'this namespace'}: ${why}`));
    }
  }
}
