import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { open, pull, seal, servePulls } from '../../src/router/vxlan/pull.js';

// A real server and client over loopback TCP (port 7947 on 127.0.0.1): only the mesh keys are chosen here.
const key = () => randomBytes(32).toString('base64');
const list = { host: '127.0.0.1', version: 'v1', entries: [] };
let server: Server | undefined;
const logs: string[] = [];

async function serve(keys: string[]): Promise<void> {
  server = await servePulls('127.0.0.1', {
    keys: async () => keys,
    list: () => list,
    log: (m) => logs.push(m),
  });
}

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise((r) => s.close(r));
});

describe('pulling a member list over the underlay', () => {
  it('serves the list to a member holding the mesh key, sealed', async () => {
    const k = key();
    await serve([k]);
    expect(await pull('127.0.0.1', { keys: async () => [k] })).toEqual(list);
  });

  it('refuses a puller without the key, or with another one', async () => {
    await serve([key()]);
    await expect(pull('127.0.0.1', { keys: async () => [] })).rejects.toThrow(/answered 403/);
    await expect(pull('127.0.0.1', { keys: async () => [key()] })).rejects.toThrow(/answered 403/);
    expect(logs.at(-1)).toMatch(/refused: not signed with the mesh key/);
  });

  it('keeps working while a key rotation is half done (any key in the keyring)', async () => {
    const old = key();
    await serve([key(), old]);
    expect(await pull('127.0.0.1', { keys: async () => [old] })).toEqual(list);
  });

  it('is open, like the gossip, when the mesh has no password', async () => {
    await serve([]);
    expect(await pull('127.0.0.1', { keys: async () => [] })).toEqual(list);
  });

  it('opens only what was sealed for this nonce with one of our keys, untampered', async () => {
    const k = Buffer.from(randomBytes(32));
    const sealed = seal(k, 'nonce-1', '{"a":1}');
    expect(open([k], 'nonce-1', sealed)).toBe('{"a":1}');
    expect(open([k], 'nonce-2', sealed)).toBeUndefined();
    expect(open([Buffer.from(randomBytes(32))], 'nonce-1', sealed)).toBeUndefined();
    const raw = Buffer.from(sealed, 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(open([k], 'nonce-1', raw.toString('base64'))).toBeUndefined();
  });
});
