import { badInput, failed } from '../../errors.js';
import type { KeyCommand, KeyringAnswer } from './rpc.js';

/** One member's part in a rotation: each step ok, failed (with serf's reason) or not reached. */
export interface MemberRotation {
  name: string;
  install: StepResult;
  use: StepResult;
  remove: StepResult;
  error: string | null;
}
export type StepResult = 'ok' | 'failed' | 'skipped';

export interface KeyRotation {
  members: MemberRotation[];
  /** How many old keys were removed from the mesh. */
  removed: number;
}

/** What rotate needs of serf: its keyring commands, and the alive members to account for. */
export interface KeyringPort {
  keyring(command: KeyCommand, key?: string): Promise<KeyringAnswer>;
  alive(): Promise<string[]>;
}

/** Members a step did not reach: those serf named, or (when some did not answer) every member not confirmed. */
function missed(a: KeyringAnswer, alive: string[]): Record<string, string> {
  const out = { ...a.failures };
  if (a.responses < a.nodes && Object.keys(out).length === 0)
    for (const m of alive) out[m] = `no answer (${a.responses} of ${a.nodes} members answered)`;
  return out;
}

/**
 * Rotates the mesh key without a member dropping out: the new key is installed everywhere (every member then
 * accepts both), checked on every alive member, made primary, and the old keys removed. Serf rewrites each
 * member's keyring file as it goes. A member that did not take the new key stops it before `use`: nothing is
 * switched and the new key is removed again, so the mesh is as it was.
 */
export async function rotateKey(port: KeyringPort, key: string): Promise<KeyRotation> {
  const alive = await port.alive();
  const result = new Map<string, MemberRotation>(
    alive.map((name) => [
      name,
      { name, install: 'skipped', use: 'skipped', remove: 'skipped', error: null } as MemberRotation,
    ]),
  );
  const mark = (step: 'install' | 'use' | 'remove', bad: Record<string, string>): void => {
    for (const m of result.values()) {
      const why = bad[m.name];
      m[step] = why ? 'failed' : 'ok';
      if (why) m.error ??= `${step}: ${why}`;
    }
    for (const [name, why] of Object.entries(bad))
      if (!result.has(name))
        result.set(name, {
          name,
          install: 'skipped',
          use: 'skipped',
          remove: 'skipped',
          error: `${step}: ${why}`,
        });
  };

  const before = await port.keyring('list-keys');
  const current = Object.keys(before.keys);
  if (current.length === 1 && current[0] === key)
    throw badInput(
      'password-file',
      'this password gives the key the mesh already uses: nothing to rotate',
      'give a file with a new password',
    );
  const installed = await port.keyring('install-key', key);
  const check = await port.keyring('list-keys');
  const bad = missed(installed, alive);
  const holders = check.keys[key] ?? 0;
  if (holders < check.nodes && Object.keys(bad).length === 0)
    for (const m of alive) bad[m] = `${holders} of ${check.nodes} members hold the new key`;
  mark('install', bad);
  if (Object.keys(bad).length > 0) {
    // Nobody switched: take the new key out again so the mesh is as it was (unless it was there before).
    if (!(key in before.keys)) await port.keyring('remove-key', key).catch(() => undefined);
    throw failed(
      `the new key did not reach ${Object.keys(bad).sort().join(', ')}: nothing switched, the new key removed again`,
      'bring those members up (or `xnet-tui forget` the ones gone for good), then run rotate-key again',
    );
  }
  const used = await port.keyring('use-key', key);
  const notUsed = missed(used, alive);
  mark('use', notUsed);
  if (Object.keys(notUsed).length > 0)
    throw failed(
      `the new key is installed everywhere but ${Object.keys(notUsed).sort().join(', ')} did not switch to it; ` +
        'the old key is kept, so every member still talks to every other',
      'run rotate-key again with the same file once those members answer',
    );
  const old = Object.keys((await port.keyring('list-keys')).keys).filter((k) => k !== key);
  const notRemoved: Record<string, string> = {};
  for (const k of old) Object.assign(notRemoved, missed(await port.keyring('remove-key', k), alive));
  mark('remove', notRemoved);
  const members = [...result.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (Object.keys(notRemoved).length > 0)
    throw failed(
      `switched to the new key, but the old one is still on ${Object.keys(notRemoved).sort().join(', ')}`,
      'run rotate-key again with the same file to remove it',
    );
  return { members, removed: old.length };
}
