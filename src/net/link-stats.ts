import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { diesWithParent, inNetns, netnsId, type NetnsPath } from './netns.js';

/**
 * `ip -json -s -details link show` through one long-lived `ip -batch -` per namespace: telemetry reads every
 * interface's counters once a second, and a process for each reading was most of an idle agent's spawns (two a
 * second with the overlay namespace, each an nsenter and an ip). iproute2 answers each batch line at once, one
 * JSON array on one line, so a reading is a line written and a line read. /proc/PID/net/dev would need a process
 * in the namespace as well and lacks the ifindex, kind, master and operstate the counters key on.
 */

/** How long one answer may take before the helper is thought stuck and replaced. */
const ANSWER_TIMEOUT_MS = 3_000;

interface Waiting {
  resolve: (line: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

class BatchReader {
  readonly #child: ChildProcess;
  readonly #queue: Waiting[] = [];
  #stderr = '';
  #dead = false;
  /** The namespace's identity when the helper entered it: a namespace made anew under the same name is another. */
  readonly identity: string | undefined;

  constructor(readonly netns: NetnsPath) {
    this.identity = identityOf(netns);
    const [file, args] = diesWithParent(inNetns(netns, 'ip', ['-json', '-s', '-details', '-batch', '-']));
    this.#child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#child.unref();
    createInterface({ input: this.#child.stdout! }).on('line', (l) => {
      const w = this.#queue.shift();
      if (!w) return;
      clearTimeout(w.timer);
      w.resolve(l);
    });
    this.#child.stderr!.on('data', (d: Buffer) => (this.#stderr = (this.#stderr + d.toString()).slice(-500)));
    this.#child.on('error', (err) => this.#fail(err.message));
    this.#child.on('exit', (code) => this.#fail(`ip -batch exited (${this.#stderr.trim() || code})`));
    this.#child.stdin!.on('error', () => undefined);
  }

  get alive(): boolean {
    return !this.#dead;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  read(): Promise<string> {
    if (this.#dead) return Promise.reject(new Error('link reader ended'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail('no answer from ip -batch'), ANSWER_TIMEOUT_MS);
      this.#queue.push({ resolve, reject, timer });
      this.#child.stdin!.write('link show\n');
    });
  }

  #fail(why: string): void {
    this.#dead = true;
    for (const w of this.#queue.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error(why));
    }
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }

  close(): void {
    this.#fail('closed');
  }
}

function identityOf(netns: NetnsPath): string | undefined {
  if (!netns) return undefined;
  try {
    return netnsId(netns);
  } catch {
    return undefined;
  }
}

const readers = new Map<string, BatchReader>();

/**
 * Every interface of `netns` with its statistics and details, as `ip -json -s -details link show` prints them,
 * from that namespace's long-lived reader (started on first use, started again after it died or its namespace
 * was made anew).
 */
export async function readLinkStats<T>(netns: NetnsPath): Promise<T[]> {
  const key = netns ?? '';
  let r = readers.get(key);
  if (r && (!r.alive || r.identity !== identityOf(netns))) {
    r.close();
    r = undefined;
  }
  if (!r) {
    r = new BatchReader(netns);
    readers.set(key, r);
  }
  const line = (await r.read()).trim();
  return (line ? JSON.parse(line) : []) as T[];
}

/** The readers' processes (tests count them). */
export function linkReaderPids(): number[] {
  return [...readers.values()].flatMap((r) => (r.alive && r.pid ? [r.pid] : []));
}

/** Ends the reader of one namespace (it is being removed: the reader must not keep it alive). */
export function closeLinkReader(netns: NetnsPath): void {
  readers.get(netns ?? '')?.close();
  readers.delete(netns ?? '');
}

/** Ends every reader (the agent closes). */
export function closeLinkReaders(): void {
  for (const r of readers.values()) r.close();
  readers.clear();
}
