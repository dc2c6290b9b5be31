import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../src/agent/state.js';

const attachment = {
  containerId: 'a'.repeat(64),
  containerName: 'web',
  ifname: 'ethwe',
  cidrs: ['172.25.11.23/24'],
  since: '2026-11-25T00:00:00.000Z',
};

describe('StateStore', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xnet-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts empty without a file and round-trips what it saves, mode 0600', async () => {
    const store = new StateStore(dir);
    expect((await store.load()).attachments).toEqual([]);
    await store.update(() => ({ version: 1, attachments: [attachment] }));
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    const again = new StateStore(dir);
    expect((await again.load()).attachments).toEqual([attachment]);
  });

  it('keeps a damaged file aside, byte for byte, and starts with what still parses', async () => {
    const store = new StateStore(dir);
    await writeFile(store.file, '{"version":1,"attachments":[');
    expect(await store.load()).toEqual({ version: 1, attachments: [] });
    expect(store.recovery).toMatch(/not JSON.*kept aside as .*state\.json\.corrupt-.*recovered 0 attachment/);
    const damaged = JSON.stringify({ version: 1, attachments: [{ containerId: 'xyz' }, attachment] });
    await writeFile(store.file, damaged);
    const again = new StateStore(dir);
    expect((await again.load()).attachments).toEqual([attachment]);
    expect(again.recovery).toMatch(/invalid at attachments\.0\.containerId.*recovered 1 attachment/);
    const aside = (await readdir(dir)).filter((f) => f.startsWith('state.json.corrupt-')).sort();
    expect(aside).toHaveLength(2);
    const kept = await Promise.all(aside.map((f) => readFile(join(dir, f), 'utf8')));
    expect(kept).toContain(damaged);
    // What was recovered is on disk: the next start is clean.
    const third = new StateStore(dir);
    expect((await third.load()).attachments).toEqual([attachment]);
    expect(third.recovery).toBeNull();
  });

  it('rejects an invalid state before writing anything', async () => {
    const store = new StateStore(dir);
    await store.load();
    await store.update(() => ({ version: 1, attachments: [attachment] }));
    const before = await readFile(store.file, 'utf8');
    await expect(
      store.update(() => ({ version: 1, attachments: [{ ...attachment, cidrs: [] }] })),
    ).rejects.toThrow();
    expect(await readFile(store.file, 'utf8')).toBe(before);
    // A refused change does not block the ones queued after it.
    await store.update((st) => ({ ...st, pingChecks: [] }));
    expect(store.current.attachments).toEqual([attachment]);
  });

  it('applies concurrent changes one after another, each on what the last wrote', async () => {
    const store = new StateStore(dir);
    await store.load();
    const check = (id: string) => ({ id, target: '172.25.11.24', from: null, since: attachment.since });
    // As `ping --add A B` does: two RPCs at once, each adding its own check.
    await Promise.all(
      ['a', 'b', 'c']
        .map((x) => `u-${x.repeat(12)}`)
        .map((id) => store.update((st) => ({ ...st, pingChecks: [...(st.pingChecks ?? []), check(id)] }))),
    );
    const again = new StateStore(dir);
    expect((await again.load()).pingChecks?.map((c) => c.id)).toEqual(
      ['a', 'b', 'c'].map((x) => `u-${x.repeat(12)}`),
    );
  });

  it('writes concurrent changes together, answering each only once a write that holds it is on disk', async () => {
    const store = new StateStore(dir);
    await store.load();
    const id = (i: number) => `${i}`.padStart(64, '0');
    const written = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store
          .update((st) => ({
            ...st,
            attachments: [
              ...st.attachments,
              { ...attachment, containerId: id(i), cidrs: [`172.25.11.${i + 2}/24`] },
            ],
          }))
          .then(async (s) => {
            // Answered: the file already holds this change.
            const onDisk = JSON.parse(await readFile(store.file, 'utf8')) as {
              attachments: { containerId: string }[];
            };
            expect(onDisk.attachments.map((a) => a.containerId)).toContain(id(i));
            return s;
          }),
      ),
    );
    // Twenty changes, fewer writes: the first goes alone, the rest wait for it and go together.
    expect(new Set(written).size).toBeLessThan(20);
    const again = new StateStore(dir);
    expect((await again.load()).attachments.map((a) => a.containerId)).toEqual(
      Array.from({ length: 20 }, (_, i) => id(i)),
    );
  });

  it('leaves only the state file behind: each temp file is renamed over it', async () => {
    const store = new StateStore(dir);
    await store.load();
    await Promise.all(
      [1, 2, 3].map((n) =>
        store.update((s) => ({ ...s, attachments: [{ ...attachment, cidrs: [`10.9.0.${n}/24`] }] })),
      ),
    );
    expect(await readdir(dir)).toEqual(['state.json']);
    expect(JSON.parse(await readFile(store.file, 'utf8'))).toMatchObject({
      attachments: [{ cidrs: ['10.9.0.3/24'] }],
    });
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
  });

  it('names the state file, not its temp file, when a write fails, and keeps the state it had', async () => {
    // A regular file where the directory should be: fails for root too (ENOTDIR), as chattr +i or ENOSPC do.
    const notDir = join(dir, 'not-a-dir');
    await writeFile(notDir, '');
    const store = new StateStore(notDir);
    const err = await store
      .update(() => ({ version: 1, attachments: [attachment] }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: 'failed',
      message: `cannot write the state file ${store.file}: ENOTDIR`,
    });
    expect((err as { hint: string }).hint).toMatch(/run the command again/);
    expect(store.current.attachments).toEqual([]);
  });
});
