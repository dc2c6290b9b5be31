import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { rotateLog } from '../../log.js';
import { SerfRpc } from './rpc.js';
import { keyringFile, prepareKeyring } from './keyring.js';
import { poll, sleep } from '../../poll.js';

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

/** What serf.pid records: which serf runs for this state dir, and with what configuration. */
interface SerfPidfile {
  pid: number;
  /** A hash of serf's arguments and key: a serf started for other settings is not adopted. */
  fingerprint: string;
}

function readPidfile(stateDir: string): SerfPidfile | undefined {
  try {
    const text = readFileSync(join(stateDir, 'serf.pid'), 'utf8').trim();
    // Older agents wrote the bare PID.
    const parsed = /^\d+$/.test(text)
      ? { pid: Number(text), fingerprint: '' }
      : (JSON.parse(text) as SerfPidfile);
    return Number.isInteger(parsed.pid) && parsed.pid > 0 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a live serf started for `stateDir` (not a zombie, not a recycled PID). */
function isOurSerf(pid: number, stateDir: string): boolean {
  try {
    if (/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.startsWith('serf\0') && cmdline.includes(stateDir);
  } catch {
    return false;
  }
}

/**
 * Runs `serf agent` in a session of its own, so it outlives the agent: an agent restart or upgrade must not
 * disturb the mesh (peers would mark this host failed and drop it from their flood lists). A starting agent
 * adopts a healthy serf started for the same settings (serf.pid, then an authenticated RPC call) instead of
 * killing it. Either way serf is watched and restarted with backoff if it dies; its output goes to serf.log.
 * The snapshot file lets a restarted serf rejoin the members it knew.
 */
export class SerfProcess {
  #child: ChildProcess | undefined;
  #pid: number | undefined;
  #watch: NodeJS.Timeout | undefined;
  #stopping = false;
  #restarts = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly logFile: string;
  onStart: () => void = () => undefined;
  /** Whether the last start found serf already running and kept it. */
  adopted = false;

  constructor(private readonly o: SerfOptions) {
    this.logFile = join(o.stateDir, 'serf.log');
  }

  get pid(): number | undefined {
    return this.#pid;
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
    if (this.o.password) args.push(`-keyring-file=${keyringFile(this.o.stateDir)}`);
    // Not the key: after a rotation serf runs with a key the password file does not give, and is still healthy.
    // A password change goes through stop or reset, which end serf anyway.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([args, this.o.rpcToken]))
      .digest('hex');
    if (await this.#adopt(fingerprint)) return;
    await killStaleSerf(this.o.stateDir);
    if (this.o.password) {
      const how = await prepareKeyring(this.o.stateDir, keyFromPassword(this.o.password));
      if (how === 'kept') this.o.log('serf keyring kept as serf left it (it may hold a rotated key)');
    }
    await rotateLog(this.logFile);
    const fd = openSync(this.logFile, 'a', 0o600);
    // One P for Go's scheduler unless the operator chose: serf's work is small, and with a P per core its runtime
    // woke and parked threads for every packet. 50 lab serfs on 2 cores spent a third of their CPU switching
    // threads (perf: finish_task_switch, futex and nanosleep) while a 50-host mesh formed.
    const env = { ...process.env, GOMAXPROCS: process.env.GOMAXPROCS ?? '1' };
    const child = spawn('serf', args, { stdio: ['ignore', fd, fd], detached: true, env });
    closeSync(fd);
    child.unref();
    this.#child = child;
    this.#pid = child.pid;
    this.adopted = false;
    if (child.pid) {
      const record: SerfPidfile = { pid: child.pid, fingerprint };
      await writeFileAtomic(join(this.o.stateDir, 'serf.pid'), JSON.stringify(record) + '\n', {
        mode: 0o600,
      });
    }
    child.on('error', (err) => this.o.log(`serf: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      this.#died(signal ?? `code ${code}`);
    });
    await this.#waitForRpc();
    this.#restarts = 0;
  }

  /** Keeps a serf an earlier agent started, if it runs with exactly these settings and answers with our token. */
  async #adopt(fingerprint: string): Promise<boolean> {
    const record = readPidfile(this.o.stateDir);
    if (!record || record.fingerprint !== fingerprint || !isOurSerf(record.pid, this.o.stateDir))
      return false;
    try {
      (await SerfRpc.connect(this.o.rpcAddr, 1_000, this.o.rpcToken)).close();
    } catch {
      return false;
    }
    this.#pid = record.pid;
    this.adopted = true;
    // Not our child: no exit event, so look.
    this.#watch = setInterval(() => {
      if (this.#pid === record.pid && !isOurSerf(record.pid, this.o.stateDir)) this.#died('gone');
    }, 250);
    this.o.log(`serf ${record.pid} is running with these settings: kept (the mesh saw no change)`);
    return true;
  }

  #died(how: string): void {
    clearInterval(this.#watch);
    this.#watch = undefined;
    this.#pid = undefined;
    if (this.#stopping) return;
    const delay = Math.min(250 * 2 ** this.#restarts++, 5_000);
    this.o.log(`serf exited (${how}); restarting in ${delay} ms, see ${this.logFile}`);
    this.#timer = setTimeout(
      () =>
        void this.start().then(
          () => this.onStart(),
          (err: Error) => this.o.log(`serf: ${err.message}`),
        ),
      delay,
    );
  }

  async #waitForRpc(): Promise<void> {
    let last: Error | undefined;
    const up = await poll(
      async () => {
        try {
          (await SerfRpc.connect(this.o.rpcAddr, 500, this.o.rpcToken)).close();
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

  /** Lets serf run on without us (agent restart): the next agent adopts it. */
  detach(): void {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    clearInterval(this.#watch);
    this.#watch = undefined;
    this.#child = undefined;
  }

  /** Stops serf and leaves the mesh: peers see "left". For `stop` and `reset` only. */
  async stop(): Promise<void> {
    this.detach();
    const pid = this.#pid;
    this.#pid = undefined;
    if (!pid || !isOurSerf(pid, this.o.stateDir)) return;
    process.kill(pid, 'SIGINT');
    for (let waited = 0; isOurSerf(pid, this.o.stateDir); waited += 50) {
      if (waited >= 5_000) process.kill(pid, 'SIGKILL');
      await sleep(50);
    }
  }
}

/** A serf of ours we are not adopting would hold our ports: end it (it is ours, by its state dir). */
export async function killStaleSerf(stateDir: string): Promise<void> {
  const pid = readPidfile(stateDir)?.pid;
  if (!pid || !isOurSerf(pid, stateDir)) return;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && isOurSerf(pid, stateDir); i++) await sleep(20);
}
