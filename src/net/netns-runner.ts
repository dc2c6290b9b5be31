import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { failed } from '../errors.js';
import { diesWithParent, netnsOfPid, type NetnsPath } from './netns.js';

/**
 * The runner's loop, in sh: a request is the tool (ip or tc), the namespace's path, a count, and that many
 * batch lines; it answers with the tool's stderr and "xnet-end <exit code>". Every value is read with `read -r`
 * and passed as one argument or as the tool's input, never evaluated. nsenter opens the path on every request,
 * so a namespace removed and made again under the same name is the new one.
 */
const LOOP = `
while IFS= read -r tool && IFS= read -r ns && IFS= read -r n; do
  body=
  while [ "$n" -gt 0 ]; do IFS= read -r l; body="$body$l
"; n=$((n - 1)); done
  printf '%s' "$body" | nsenter "--net=$ns" -- "$tool" -batch - 2>&1 >/dev/null
  echo "xnet-end $?"
done`;
const END = /^xnet-end (\d+)$/;
const IDLE_MS = 5_000;
const TIMEOUT_MS = 10_000;

interface Request {
  tool: 'ip' | 'tc';
  netns: string;
  text: string[];
  timer: NodeJS.Timeout;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * `ip -batch` or `tc -batch` in any namespace (a container's, the overlay's), started by a long-lived shell
 * rather than by the agent. A spawn from Node blocks the agent's thread until the child has exec'd (libuv
 * waits for it): a few ms on a quiet machine, tens under load, on every attach's path. The shell forks for
 * it instead, a small process, while the agent goes on. Same result as ipBatch: the lines run in order and
 * stop at the first that fails, whose error is the rejection's. Ended after 5 s idle.
 */
export class NetnsRunner {
  #child: ChildProcessWithoutNullStreams | undefined;
  #queue: Request[] = [];
  #out = '';
  #idle: NodeJS.Timeout | undefined;

  /** Runs `ip -batch` with these lines in the namespace at `netns` (a path; undefined: the agent's own). */
  ipBatch(netns: NetnsPath, lines: readonly string[]): Promise<void> {
    return this.#batch('ip', netns ?? netnsOfPid(process.pid), lines);
  }

  /** Runs `tc -batch` with these lines in the namespace at `netns` (a path; undefined: the agent's own). */
  tcBatch(netns: NetnsPath, lines: readonly string[]): Promise<void> {
    return this.#batch('tc', netns ?? netnsOfPid(process.pid), lines);
  }

  #batch(tool: 'ip' | 'tc', netns: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return Promise.resolve();
    for (const l of [netns, ...lines])
      if (/[\n\r]/.test(l)) throw new Error(`${tool} line with a line break: ${JSON.stringify(l)}`);
    const child = this.#current();
    clearTimeout(this.#idle);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(child, `no answer in ${TIMEOUT_MS} ms`), TIMEOUT_MS);
      this.#queue.push({ tool, netns, text: [], timer, resolve, reject });
      child.stdin.write(`${tool}\n${netns}\n${lines.length}\n${lines.join('\n')}\n`);
    });
  }

  /** Ends the shell (idempotent); requests under way fail. */
  close(): void {
    clearTimeout(this.#idle);
    if (this.#child) this.#fail(this.#child, 'closed');
  }

  #current(): ChildProcessWithoutNullStreams {
    if (this.#child) return this.#child;
    const [file, args] = diesWithParent(['sh', ['-c', LOOP]]);
    const child = spawn(file, args, { stdio: 'pipe' });
    this.#child = child;
    this.#out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.#read(child, chunk));
    child.stderr.resume();
    child.on('error', (err) => this.#fail(child, err.message));
    child.on('exit', (code, signal) => this.#fail(child, `sh exited (${signal ?? code})`));
    child.stdin.on('error', () => undefined); // a closed pipe: the exit handler reports it
    return child;
  }

  #read(child: ChildProcessWithoutNullStreams, chunk: string): void {
    if (child !== this.#child) return;
    this.#out += chunk;
    let nl: number;
    while ((nl = this.#out.indexOf('\n')) >= 0) {
      const line = this.#out.slice(0, nl);
      this.#out = this.#out.slice(nl + 1);
      const r = this.#queue[0];
      if (!r) continue;
      const m = END.exec(line);
      if (!m) {
        if (line.trim()) r.text.push(line.trim());
        continue;
      }
      this.#queue.shift();
      clearTimeout(r.timer);
      if (m[1] === '0') r.resolve();
      else r.reject(failed(`${r.tool} -batch in ${r.netns}: ${r.text.join('; ') || `exit code ${m[1]}`}`));
      if (this.#queue.length === 0) this.#idle = setTimeout(() => this.close(), IDLE_MS).unref();
    }
  }

  #fail(child: ChildProcessWithoutNullStreams, why: string): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    child.stdin.end();
    child.kill();
    for (const r of this.#queue.splice(0)) {
      clearTimeout(r.timer);
      r.reject(failed(`${r.tool} -batch in ${r.netns}: ${why}`));
    }
  }
}
