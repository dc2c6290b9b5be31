import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBpffs } from '../../src/telemetry/bpf/kernel.js';
import { BpftoolSession } from '../../src/net/bpftool-session.js';
import { alive } from '../helpers/wait.js';

// The real bpftool on a real pinned hash map (needs root and bpffs, no lab): writes and reads through one
// long-lived process, a failing line, and the session after it.
const root = `/sys/fs/bpf/xnet/test-session-${process.pid}`;
const map = `${root}/m`;
const bpftoolOnce = (...args: string[]) => execFileSync('bpftool', args, { encoding: 'utf8' });
const key = (n: number) => `key ${n} 0 0 0`;
/** The map as a separate bpftool sees it: key's first byte -> value's first byte. */
const seen = (): Map<number, number> =>
  new Map(
    (JSON.parse(bpftoolOnce('-j', 'map', 'dump', 'pinned', map)) as { key: string[]; value: string[] }[]).map(
      (e) => [Number(e.key[0]), Number(e.value[0])],
    ),
  );

describe('BpftoolSession: map writes and reads with no process each', () => {
  const s = new BpftoolSession();

  beforeAll(async () => {
    await ensureBpffs();
    mkdirSync(root, { recursive: true });
    bpftoolOnce(
      'map',
      'create',
      map,
      'type',
      'hash',
      'key',
      '4',
      'value',
      '4',
      'entries',
      '64',
      'name',
      'xnet_test',
    );
  });
  afterAll(() => {
    s.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes lines in order from one process, and the kernel holds them when the write resolves', async () => {
    await s.write([
      `map update pinned ${map} ${key(1)} value 10 0 0 0`,
      `map update pinned ${map} ${key(2)} value 20 0 0 0`,
    ]);
    const pid = s.pid!;
    expect(seen()).toEqual(
      new Map([
        [1, 10],
        [2, 20],
      ]),
    );
    // Requests made at once keep their order and their own answers.
    const [, lookup, dump] = await Promise.all([
      s.write([`map update pinned ${map} ${key(3)} value 30 0 0 0`, `map delete pinned ${map} ${key(2)}`]),
      s.one<{ value: string[] }>(`map lookup pinned ${map} ${key(1)}`),
      s.one<{ key: string[] }[]>(`map dump pinned ${map}`),
    ]);
    expect(Number(lookup.value[0])).toBe(10);
    expect(dump.map((e) => Number(e.key[0])).sort()).toEqual([1, 3]);
    expect(seen()).toEqual(
      new Map([
        [1, 10],
        [3, 30],
      ]),
    );
    expect(s.pid).toBe(pid);
  });

  it("fails the request at a failing line with bpftool's reason; the lines before it stay done, after it not run", async () => {
    await s.one(`map dump pinned ${map}`);
    const pid = s.pid!;
    const err = await s
      .write([
        `map update pinned ${map} ${key(4)} value 40 0 0 0`,
        `map delete pinned ${map} ${key(9)}`,
        `map update pinned ${map} ${key(5)} value 50 0 0 0`,
      ])
      .catch((e: Error & { kind?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/map delete pinned .* key 9 0 0 0: delete failed: No such file/);
    expect((err as { kind?: string }).kind).toBe('failed');
    expect(seen()).toEqual(
      new Map([
        [1, 10],
        [3, 30],
        [4, 40],
      ]),
    );
    // That bpftool is ended; the next request starts another, which works.
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(pid)).toBe(false);
    await s.write([`map update pinned ${map} ${key(5)} value 50 0 0 0`]);
    expect(s.pid).not.toBe(pid);
    expect(seen().get(5)).toBe(50);
  });

  it("fails only the failing line's own request: the requests queued behind it run once on a new bpftool", async () => {
    await s.one(`map dump pinned ${map}`);
    const pid = s.pid!;
    // Three callers at once, all written to the same bpftool before any answer. `noexist` makes a write sent
    // twice fail: the first and the last each run exactly once.
    const [before, failing, after] = await Promise.allSettled([
      s.write([`map update pinned ${map} ${key(8)} value 80 0 0 0 noexist`]),
      s.write([`map delete pinned ${map} ${key(9)}`]),
      s.write([`map update pinned ${map} ${key(7)} value 70 0 0 0 noexist`]),
    ]);
    expect(before.status).toBe('fulfilled');
    expect(failing.status).toBe('rejected');
    expect(((failing as PromiseRejectedResult).reason as { kind?: string }).kind).toBe('failed');
    expect(after).toEqual({ status: 'fulfilled', value: undefined });
    expect(seen().get(7)).toBe(70);
    expect(seen().get(8)).toBe(80);
    expect(s.pid).not.toBe(pid);
    await s.write([`map delete pinned ${map} ${key(7)}`, `map delete pinned ${map} ${key(8)}`]);
  });

  it('fails a read of a map that is not there, and answers the next one', async () => {
    await expect(s.one(`map dump pinned ${root}/nothing`)).rejects.toThrow(/nothing/);
    expect((await s.one<unknown[]>(`map dump pinned ${map}`)).length).toBe(4);
  });

  it('refuses a line that is not one command, before writing anything', async () => {
    await expect(
      s.write([`map update pinned ${map} ${key(6)} value 60 0 0 0\nmap delete pinned ${map} ${key(1)}`]),
    ).rejects.toThrow(/not a bpftool batch line/);
    expect(seen().has(6)).toBe(false);
    expect(seen().has(1)).toBe(true);
  });
});
