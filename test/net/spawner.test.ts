import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../../src/agent/client.js';
import { Spawner, type LineHandlers } from '../../src/net/spawner.js';
import { alive, until } from '../helpers/wait.js';

// xnet-spawner as `npm run build` made it (this test runs from src/): real processes started through it.
const BUILT = join(dirname(CLI_MAIN), '..', 'net', 'xnet-spawner');
const spawner = new Spawner(BUILT);

/** What one tool said, in order, and how it ended. */
function recorder() {
  const said: string[] = [];
  let ended: (v: { code: number | null; signal: NodeJS.Signals | null }) => void = () => undefined;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (ended = r));
  const handlers: LineHandlers = {
    line: (l) => said.push(`o ${l}`),
    stderr: (t) => said.push(`e ${t}`),
    exit: (code, signal) => {
      said.push('exit');
      ended({ code, signal });
    },
  };
  return { said, exit, handlers };
}

describe('xnet-spawner', () => {
  afterAll(() => spawner.close());

  it("hands back a tool's lines and its exit code, the exit after its last words", async () => {
    const r = recorder();
    spawner.start(
      'sh',
      ['-c', 'echo one; echo two >&2; printf "c\\rr\\n"; printf "three"; exit 3'],
      r.handlers,
    );
    expect(await r.exit).toEqual({ code: 3, signal: null });
    // A carriage return is part of its line; the last words without a line break are a line too.
    expect(r.said.filter((s) => s.startsWith('o '))).toEqual(['o one', 'o c\rr', 'o three']);
    expect(r.said).toContain('e two\n');
    expect(r.said.at(-1)).toBe('exit');
  });

  it('runs tools side by side, each with its own PID, and ends one with the signal asked for', async () => {
    const a = recorder();
    const b = recorder();
    const ca = spawner.start('sleep', ['30'], a.handlers);
    const cb = spawner.start('sh', ['-c', 'echo b; exec sleep 30'], b.handlers);
    await until('both PIDs', () => ca.pid !== undefined && cb.pid !== undefined, 5_000);
    expect(ca.pid).not.toBe(cb.pid);
    expect([ca.pid, cb.pid].every((p) => alive(p!))).toBe(true);
    // Its parent is the helper, not this process: no fork of the caller.
    const ppid = Number(readFileSync(`/proc/${ca.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    expect(ppid).toBe(spawner.pid);
    ca.kill('SIGTERM');
    expect(await a.exit).toEqual({ code: null, signal: 'SIGTERM' });
    await until('b printed', () => b.said.includes('o b'), 5_000);
    cb.kill('SIGKILL');
    expect(await b.exit).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('hands back a line longer than its buffer whole', async () => {
    const r = recorder();
    spawner.start('sh', ['-c', 'head -c 40000 /dev/zero | tr "\\0" x; echo; echo next'], r.handlers);
    await r.exit;
    expect(r.said.filter((s) => s.startsWith('o ')).map((s) => s.length - 2)).toEqual([40_000, 4]);
  });

  it('says why a tool could not start, as exit 127', async () => {
    const r = recorder();
    spawner.start('xnet-no-such-tool', [], r.handlers);
    expect(await r.exit).toEqual({ code: 127, signal: null });
    expect(r.said.join('')).toMatch(/xnet-no-such-tool: No such file or directory/);
  });

  it('refuses an argument it cannot pass on one line', () => {
    expect(() => spawner.start('echo', ['a\tb'], recorder().handlers)).toThrow(/tab or line break/);
  });

  it('ends with its tools when it is killed, says so to each, and starts again for the next', async () => {
    const r = recorder();
    const c = spawner.start('sleep', ['30'], r.handlers);
    await until('its PID', () => c.pid !== undefined, 5_000);
    const helper = spawner.pid!;
    process.kill(helper, 'SIGKILL');
    expect(await r.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(r.said.join('')).toMatch(/xnet-spawner exited/);
    await until('the tool gone with it', () => !alive(c.pid!), 5_000);
    const next = recorder();
    spawner.start('echo', ['again'], next.handlers);
    expect(await next.exit).toEqual({ code: 0, signal: null });
    expect(next.said[0]).toBe('o again');
    expect(spawner.pid).not.toBe(helper);
  });
});
