import { describe, expect, it } from 'vitest';
import { XnetError } from '../../src/errors.js';
import { rotateKey, type KeyringPort } from '../../src/router/serf/rotate.js';
import type { KeyCommand, KeyringAnswer } from '../../src/router/serf/rpc.js';

/**
 * A fake serf keyring (named as one): a member refusing a key cannot be made on demand in the lab, where every
 * alive serf accepts it. Each member holds a key set; `refuses` members fail install-key.
 */
function fakeMesh(names: string[], start: string, refuses: string[] = []) {
  const keys = new Map(names.map((n) => [n, { primary: start, all: new Set([start]) }]));
  const calls: string[] = [];
  const answer = (failures: Record<string, string>, extra: Partial<KeyringAnswer> = {}): KeyringAnswer => ({
    error: Object.keys(failures).length
      ? `${Object.keys(failures).length} nodes reported failure`
      : undefined,
    failures,
    nodes: names.length,
    responses: names.length,
    errors: Object.keys(failures).length,
    keys: {},
    ...extra,
  });
  const port: KeyringPort = {
    alive: async () => names,
    keyring: async (command: KeyCommand, key?: string) => {
      calls.push(key === undefined ? command : `${command} ${key}`);
      const failures: Record<string, string> = {};
      for (const [n, k] of keys) {
        if (command === 'install-key') {
          if (refuses.includes(n)) failures[n] = 'keyring is full';
          else k.all.add(key!);
        } else if (command === 'use-key') k.primary = key!;
        else if (command === 'remove-key') {
          if (k.primary === key) failures[n] = 'Removing the primary key is not allowed';
          else k.all.delete(key!);
        }
      }
      const held: Record<string, number> = {};
      for (const k of keys.values()) for (const x of k.all) held[x] = (held[x] ?? 0) + 1;
      return answer(failures, command === 'list-keys' ? { keys: held } : {});
    },
  };
  return { port, keys, calls };
}

describe('rotateKey', () => {
  it('installs, checks, switches and removes the old key on every member', async () => {
    const m = fakeMesh(['a', 'b', 'c'], 'OLD');
    const r = await rotateKey(m.port, 'NEW');
    expect(r.removed).toBe(1);
    expect(r.members.map((x) => [x.name, x.install, x.use, x.remove])).toEqual([
      ['a', 'ok', 'ok', 'ok'],
      ['b', 'ok', 'ok', 'ok'],
      ['c', 'ok', 'ok', 'ok'],
    ]);
    for (const k of m.keys.values()) expect([k.primary, [...k.all]]).toEqual(['NEW', ['NEW']]);
    expect(m.calls.filter((c) => !c.startsWith('list'))).toEqual([
      'install-key NEW',
      'use-key NEW',
      'remove-key OLD',
    ]);
  });

  it('stops before use when a member did not take the key: nothing switched, the new key removed', async () => {
    const m = fakeMesh(['a', 'b', 'c'], 'OLD', ['b']);
    const err = await rotateKey(m.port, 'NEW').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XnetError);
    expect((err as XnetError).kind).toBe('failed');
    expect((err as XnetError).message).toContain('b');
    expect(m.calls).not.toContain('use-key NEW');
    expect(m.calls).toContain('remove-key NEW');
    for (const k of m.keys.values()) expect([k.primary, [...k.all]]).toEqual(['OLD', ['OLD']]);
  });

  it('refuses the key the mesh already uses as bad input, before any change', async () => {
    const m = fakeMesh(['a', 'b'], 'SAME');
    const err = (await rotateKey(m.port, 'SAME').catch((e: unknown) => e)) as XnetError;
    expect([err.kind, err.field]).toEqual(['bad_input', 'password-file']);
    expect(m.calls).toEqual(['list-keys']);
  });
});
