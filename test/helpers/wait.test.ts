import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withLogs } from './wait.js';

describe('withLogs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xnet-withlogs-'));
  const log = join(dir, 'serf.log');
  writeFileSync(log, ['one', 'two', 'three', 'four', ''].join('\n'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('hands back what the wait gave, and reads no log', async () => {
    expect(await withLogs([join(dir, 'missing.log')], async () => 42)).toBe(42);
  });

  it("adds each log's last lines to the error it rethrows, and says which it could not read", async () => {
    const err = new Error('h1 sees h2 leave: not within 10000 ms');
    const thrown = await withLogs([log, join(dir, 'missing.log')], () => Promise.reject(err), 2).catch(
      (e: unknown) => e,
    );
    expect(thrown).toBe(err);
    const message = (thrown as Error).message;
    expect(message).toMatch(/^h1 sees h2 leave: not within 10000 ms\n/);
    expect(message).toContain(`--- ${log} (last 2 lines)\nthree\nfour\n`);
    expect(message).not.toContain('two');
    expect(message).toMatch(/missing\.log \(last 2 lines\)\n\(unreadable: ENOENT/);
  });
});
