import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Serf's keyring file (serf.keyring, 0600): the keys serf starts with, primary first. Serf rewrites it itself
 * on every member when a key is installed, used or removed, so after a rotation it, not the password file, is
 * the source of truth. serf.keyseed records which password the keyring was seeded from (a hash of its key):
 * while the password is unchanged the keyring is kept as serf left it; a new password (launch after reset)
 * seeds it afresh.
 */
export function keyringFile(stateDir: string): string {
  return join(stateDir, 'serf.keyring');
}

function seedFile(stateDir: string): string {
  return join(stateDir, 'serf.keyseed');
}

function seedOf(key: string): string {
  return createHash('sha256').update(`xnet-keyseed:${key}`).digest('hex');
}

/** The keys in serf's keyring file, primary first; empty when missing or damaged. */
export async function readKeyring(stateDir: string): Promise<string[]> {
  try {
    const keys: unknown = JSON.parse(await readFile(keyringFile(stateDir), 'utf8'));
    return Array.isArray(keys) && keys.every((k) => typeof k === 'string') ? (keys as string[]) : [];
  } catch {
    return [];
  }
}

/**
 * The keyring as read at most once per `maxAgeMs`: the address pulls ask for the keys at every pull and every
 * pull served (49 of each per join at 50 hosts), and each was a file read. A key rotation reaches the file on
 * every member at once, and both sides of a pull try every key in the keyring, so a second's lag fails none.
 */
export class RecentKeyring {
  #read: Promise<string[]> | undefined;
  #at = 0;

  constructor(
    private readonly stateDir: string,
    private readonly maxAgeMs = 1_000,
  ) {}

  keys(now = Date.now()): Promise<string[]> {
    if (!this.#read || now - this.#at >= this.maxAgeMs) {
      this.#read = readKeyring(this.stateDir);
      this.#at = now;
    }
    return this.#read;
  }
}

/** Records that the keyring now follows the password whose key is `key` (after a seed or a rotation). */
export async function recordSeed(stateDir: string, key: string): Promise<void> {
  await writeFileAtomic(seedFile(stateDir), seedOf(key) + '\n', { mode: 0o600 });
}

/**
 * Before serf starts: keeps the keyring serf wrote when it was seeded from this same password (it may hold a
 * rotated key the password file knows nothing about), else writes the password's key alone.
 */
export async function prepareKeyring(stateDir: string, key: string): Promise<'kept' | 'seeded'> {
  const seed = await readFile(seedFile(stateDir), 'utf8').catch(() => '');
  if (seed.trim() === seedOf(key) && (await readKeyring(stateDir)).length > 0) return 'kept';
  await writeFileAtomic(keyringFile(stateDir), JSON.stringify([key]), { mode: 0o600 });
  await recordSeed(stateDir, key);
  return 'seeded';
}
