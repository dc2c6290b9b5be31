import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { SerfRpc } from './rpc.js';
import { poll } from '../../poll.js';

export const SERF_PORT = 7946;

export interface SerfOptions {
  name: string;
  bind: string;
  rpcAddr: string;
  tags: Record<string, string>;
  stateDir: string;
  /** The mesh password, if any; it reaches serf only through a 0600 keyring file, never argv. */
  password?: string;
  log: (msg: string) => void;
}

/** Serf wants a 32-byte AES key; operators have passwords. Everyone with the same password derives the same key. */
export function keyFromPassword(password: string): string {
  return createHash('sha256').update(`xnet-mesh:${password}`).digest('base64');
}

/**
 * Runs `serf agent` as our child and keeps it running: restarted with backoff if it dies, its output kept
 * in serf.log. The snapshot file lets a restarted serf rejoin the members it knew.
 */
export class SerfProcess {
  #child: ChildProcess | undefined;
  #stopping = false;
  #restarts = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly logFile: string;
  onStart: () => void = () => undefined;

  constructor(private readonly o: SerfOptions) {
    this.logFile = join(o.stateDir, 'serf.log');
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async start(): Promise<void> {
    this.#stopping = false;
    const args = [
      'agent',
      `-node=${this.o.name}`,
      `-bind=${this.o.bind}:${SERF_PORT}`,
      `-advertise=${this.o.bind}:${SERF_PORT}`,
      `-rpc-addr=${this.o.rpcAddr}`,
      `-snapshot=${join(this.o.stateDir, 'serf.snapshot')}`,
      '-log-level=info',
      ...Object.entries(this.o.tags).map(([k, v]) => `-tag=${k}=${v}`),
    ];
    if (this.o.password) {
      const keyring = join(this.o.stateDir, 'serf.keyring');
      await writeFileAtomic(keyring, JSON.stringify([keyFromPassword(this.o.password)]), { mode: 0o600 });
      args.push(`-keyring-file=${keyring}`);
    }
    const fd = openSync(this.logFile, 'a', 0o600);
    const child = spawn('serf', args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.#child = child;
    child.on('error', (err) => this.o.log(`serf: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (this.#stopping) return;
      const delay = Math.min(250 * 2 ** this.#restarts++, 5_000);
      this.o.log(`serf exited (${signal ?? `code ${code}`}); restarting in ${delay} ms, see ${this.logFile}`);
      this.#timer = setTimeout(() => void this.start().then(() => this.onStart()), delay);
    });
    await this.#waitForRpc();
    this.#restarts = 0;
  }

  async #waitForRpc(): Promise<void> {
    let last: Error | undefined;
    const up = await poll(
      async () => {
        try {
          (await SerfRpc.connect(this.o.rpcAddr, 500)).close();
          return true;
        } catch (err) {
          last = err as Error;
          return this.#child ? undefined : false;
        }
      },
      { everyMs: 50, withinMs: 10_000 },
    );
    if (!up) throw new Error(`serf did not start: ${last?.message}; see ${this.logFile}`);
  }

  /** Stops serf: `graceful` leaves the mesh (peers see "left"); otherwise peers see it fail. */
  async stop(graceful: boolean): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(graceful ? 'SIGINT' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A serf left running by an agent that was killed would hold our ports: end it (it is ours, by its state dir). */
export async function killStaleSerf(stateDir: string): Promise<void> {
  const pidfile = join(stateDir, 'serf.pid');
  let pid: number | undefined;
  try {
    pid = Number(readFileSync(pidfile, 'utf8'));
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.startsWith('serf\0') || !cmdline.includes(stateDir)) return;
  } catch {
    return;
  }
  process.kill(pid, 'SIGKILL');
  await poll(
    () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    },
    { everyMs: 20, withinMs: 1_000 },
  );
}
