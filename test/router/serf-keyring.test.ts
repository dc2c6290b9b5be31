import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyringFile, RecentKeyring } from '../../src/router/serf/keyring.js';

describe('RecentKeyring', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xnet-keyring-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads the file at most once per window, and again after it', async () => {
    await writeFile(keyringFile(dir), JSON.stringify(['a2V5LW9uZQ==']));
    const k = new RecentKeyring(dir, 1_000);
    expect(await k.keys(10_000)).toEqual(['a2V5LW9uZQ==']);
    // Rotated on disk: within the window the keys read stand, after it the new ones are read.
    await writeFile(keyringFile(dir), JSON.stringify(['a2V5LXR3bw==', 'a2V5LW9uZQ==']));
    expect(await k.keys(10_999)).toEqual(['a2V5LW9uZQ==']);
    expect(await k.keys(11_000)).toEqual(['a2V5LXR3bw==', 'a2V5LW9uZQ==']);
  });

  it('reads no keys from a missing keyring (no mesh password)', async () => {
    expect(await new RecentKeyring(dir).keys()).toEqual([]);
  });
});
