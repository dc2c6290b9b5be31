import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { badInput } from '../../errors.js';
import { SerfRpc } from './rpc.js';

export const SERF_PORT = 7946;

export interface SerfOptions {
  name: string;
  bind: string;
  rpcAddr: string;
  tags: Record<string, string>;
  stateDir: string;
  /** The mesh password, if any; it reaches serf only through a 0600 keyring file, never argv. */
  password?: string;
  /** Serf's RPC auth token (see rpcToken): without it no local user can read the keyring or change tags. */
  rpcToken: string;
  log: (msg: string) => void;
}

/** Serf wants a 32-byte AES key; operators have passwords. Everyone with the same password derives the same key. */
export function keyFromPassword(password: string): string {
  return createHash('sha256').update(`xnet-mesh:${password}`).digest('base64');
}

export async function readPasswordFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw badInput(
      'password-file',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'give a readable file holding the mesh password',
    );
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password)
    throw badInput('password-file', `${file} is empty`, 'put the mesh password on its first line');
  return password;
}

/** serf.json: serf's own config file, holding what must not be on argv (any local user can read argv). */
export function serfConfigFile(stateDir: string): string {
  return join(stateDir, 'serf.json');
}

/**
 * The token serf's RPC asks for (`rpc_auth`), kept in serf.json (0600, passed with -config-file): serf's RPC on
 * 127.0.0.1 is open to every local user otherwise, who could read the mesh key or repoint tags. The same
 * token is kept across agent restarts, so a restarted agent can talk to the serf already running.
 */
export async function rpcToken(stateDir: string): Promise<string> {
  const file = serfConfigFile(stateDir);
  try {
    const token = (JSON.parse(await readFile(file, 'utf8')) as { rpc_auth?: unknown }).rpc_auth;
    if (typeof token === 'string' && token.length >= 32) return token;
  } catch {
    /* missing or damaged: a new token */
  }
  const token = randomBytes(24).toString('hex');
  await writeFileAtomic(file, JSON.stringify({ rpc_auth: token }) + '\n', { mode: 0o600 });
  return token;
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
      `-config-file=${serfConfigFile(this.o.stateDir)}`,
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
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        (await SerfRpc.connect(this.o.rpcAddr, 500, this.o.rpcToken)).close();
        return;
      } catch (err) {
        if (!this.#child || Date.now() > deadline) {
          throw new Error(`serf did not start: ${(err as Error).message}; see ${this.logFile}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
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
  for (let i = 0; i < 50; i++) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 20));
    } catch {
      return;
    }
  }
}
