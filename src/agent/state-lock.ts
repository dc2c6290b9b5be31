import { createHash } from 'node:crypto';
import { createConnection, createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { XnetError } from '../errors.js';

/**
 * One agent per state directory: an abstract unix socket named after the directory, which the kernel frees
 * when the process dies however it dies (no stale lock file to judge). Abstract names are per network
 * namespace, as our agents are (a lab host's agent runs in that host's namespace).
 */
export async function lockStateDir(
  stateDir: string,
  standby: boolean,
  log: (msg: string) => void,
): Promise<Server> {
  const name = `\0xnet-agent-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 32)}`;
  const parent = process.ppid;
  for (let said = false; ; said = true) {
    // A standby serves its supervisor only: with it gone, so is the standby (the agent itself stays).
    if (standby && process.ppid !== parent) process.exit(0);
    const lock = createServer();
    const taken = await new Promise<boolean>((done, fail) => {
      lock.once('error', (err: NodeJS.ErrnoException) =>
        err.code === 'EADDRINUSE' ? done(false) : fail(err),
      );
      lock.listen(name, () => done(true));
    });
    if (taken) {
      // A standby's connection (below) must not keep this process alive.
      lock.on('connection', (s) => s.unref());
      lock.unref();
      return lock;
    }
    const busy = `another agent already runs for ${stateDir}`;
    if (!standby)
      throw new XnetError({
        kind: 'failed',
        message: busy,
        hint: 'use that one (its socket), or stop it first',
      });
    if (!said) log(`standby: ${busy}; taking over the moment it exits`);
    await lockFreed(name);
  }
}

/**
 * Resolves when the lock's holder has probably gone: a connection to its lock socket closes when that process
 * exits, so a standby waits on an event instead of polling (polling every 20 ms cost 2 % of a core per
 * standby, most of a core at 50 lab hosts); a slow fallback covers a missed close and the supervisor check.
 */
function lockFreed(name: string): Promise<void> {
  return new Promise((done) => {
    const s = createConnection(name);
    const finish = (): void => {
      clearTimeout(fallback);
      s.destroy();
      done();
    };
    const fallback = setTimeout(finish, 5_000);
    s.once('close', finish);
    s.once('error', finish);
  });
}
