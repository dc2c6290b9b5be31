import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { batchSession } from './batch-session.js';
import { diesWithParent, inNetns, type NetnsPath } from './netns.js';

/** A device's neighbour table (ARP and ND), as `ip -json neigh show dev` gives it. */
export interface NeighEntry {
  dst: string;
  lladdr?: string;
  state?: string[];
}

/** `ip neigh show dev DEV`, from the namespace's long-lived `ip -batch` (no process per read). */
export function neighEntries(netns: NetnsPath, dev: string): Promise<NeighEntry[]> {
  return batchSession(netns, 'ip').show<NeighEntry>(`neigh show dev ${dev}`);
}

/** `ip -batch` lines (neighbour changes) through the same session; stops at the first that fails. */
export function neighBatch(netns: NetnsPath, lines: readonly string[]): Promise<void> {
  return batchSession(netns, 'ip').write(lines);
}

/**
 * The address in one line of `ip monitor neigh` that reports a miss, if it is one: `miss 10.1.2.3 dev X STALE`,
 * or `miss 10.1.2.3 STALE` when the monitor follows one device (it leaves the device out then).
 */
export function missOf(line: string, dev: string): string | undefined {
  const m = /^miss (\S+)(?: dev (\S+))?/.exec(line.trim());
  return m && (m[2] === undefined || m[2] === dev) ? m[1] : undefined;
}

/**
 * Follows the kernel's neighbour misses on `dev` (a VXLAN device with l3miss: an ARP or ND it could not answer
 * from its table) with one long-lived `ip monitor`; restarted if it exits, until the returned stop is called.
 */
export function followMisses(
  netns: NetnsPath,
  dev: string,
  onMiss: (address: string) => void,
  log: (msg: string) => void,
): () => void {
  let stopped = false;
  let child: ReturnType<typeof spawn> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const start = (): void => {
    const [file, args] = diesWithParent(inNetns(netns, 'ip', ['monitor', 'neigh', 'dev', dev]));
    const c = spawn(file, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    child = c;
    createInterface({ input: c.stdout }).on('line', (line) => {
      const address = missOf(line, dev);
      if (address) onMiss(address);
    });
    c.on('error', (err) => log(`ip monitor neigh: ${err.message}`));
    c.on('exit', () => {
      if (stopped) return;
      timer = setTimeout(start, 1_000);
    });
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(timer);
    child?.kill();
  };
}
