import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XnetError } from '../errors.js';
import { AgentConnection } from './rpc.js';
import { DEFAULT_STATE_DIR } from './paths.js';
import { poll } from '../poll.js';

export interface ConnectOptions {
  socket: string;
  /** Start an agent when none answers, as tmux starts its server. */
  autostart: boolean;
  /** Passed to an auto-started agent. */
  stateDir?: string;
  dockerHost?: string;
  /** What to say when no agent answers, where starting one by hand is not the answer (the lab supervises its own). */
  noAgentHint?: string;
}

/** The package's root: the nearest directory above this module with a package.json (src/, dist/ or the UI bundle). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** The CLI entry point, compiled: what an auto-started agent and the lab run. */
export const CLI_MAIN = join(packageRoot(), 'dist', 'cli', 'main.js');

function notRunning(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED';
}

export async function connectAgent(opts: ConnectOptions): Promise<AgentConnection> {
  try {
    return await AgentConnection.open(opts.socket);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') throw permissionDenied(opts.socket);
    if (!notRunning(err)) throw noAgent(opts, (err as Error).message);
    if (!opts.autostart) throw noAgent(opts, 'nothing listens there');
  }
  const logFile = spawnAgent(opts);
  const conn = await poll(
    async () => {
      try {
        return await AgentConnection.open(opts.socket);
      } catch (err) {
        if (!notRunning(err)) throw noAgent(opts, (err as Error).message);
        return undefined;
      }
    },
    { everyMs: 50, withinMs: 8_000 },
  );
  if (conn) return conn;
  throw new XnetError({
    kind: 'no_agent',
    message: `started an agent for ${opts.socket}, but it did not answer within 8 s`,
    hint: `read its log: ${logFile}`,
  });
}

function spawnAgent(opts: ConnectOptions): string {
  const stateDir = opts.stateDir ?? DEFAULT_STATE_DIR;
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const logFile = join(stateDir, 'agent.log');
  const fd = openSync(logFile, 'a', 0o600);
  const args = [CLI_MAIN, 'agent', '--socket', opts.socket, '--state-dir', stateDir];
  if (opts.dockerHost) args.push('--docker-host', opts.dockerHost);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  closeSync(fd);
  return logFile;
}

function noAgent(opts: ConnectOptions, why: string): XnetError {
  return new XnetError({
    kind: 'no_agent',
    message: `no xnet agent answers on ${opts.socket}: ${why}`,
    hint:
      opts.noAgentHint ??
      'start one with `xnet-tui agent` (or the xnet-agent systemd unit), or leave out --no-start',
  });
}

/** The socket is root's only (0600): an agent may well be running, so "no agent" would send the operator astray. */
function permissionDenied(socket: string): XnetError {
  return new XnetError({
    kind: 'permission_denied',
    message: `permission denied on ${socket}: run as root`,
    hint: "the agent changes the kernel and dockerd, so its socket is root's only: sudo xnet-tui ...",
  });
}
