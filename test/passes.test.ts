import { describe, expect, it } from 'vitest';
import { KeyedPasses, KeyedQueue, SerialPasses } from '../src/passes.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('SerialPasses', () => {
  it('folds requests during a pass into one more pass, never two at once', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    let release: () => void = () => undefined;
    const p = new SerialPasses(
      async () => {
        running++;
        most = Math.max(most, running);
        passes++;
        await new Promise<void>((r) => (release = r));
        running--;
      },
      () => undefined,
    );
    p.request();
    await tick();
    for (let i = 0; i < 5; i++) p.request();
    release();
    await tick();
    await tick();
    expect(passes).toBe(2);
    release();
    await p.stop();
    expect(most).toBe(1);
    expect(passes).toBe(2);
  });

  it('settle() waits for a pass that began after it was called', async () => {
    const seen: number[] = [];
    let value = 0;
    let release: () => void = () => undefined;
    const p = new SerialPasses(
      async () => {
        const v = value;
        await new Promise<void>((r) => (release = r));
        seen.push(v);
      },
      () => undefined,
    );
    p.request();
    await tick();
    value = 1;
    let settled = false;
    const s = p.settle().then(() => (settled = true));
    release(); // the first pass, begun before settle(), ends: settle still waits
    await tick();
    await tick();
    expect(settled).toBe(false);
    release();
    await s;
    expect(seen).toEqual([0, 1]);
  });

  it('reports a failed pass and serves the next request', async () => {
    const errors: string[] = [];
    let n = 0;
    const p = new SerialPasses(
      async () => {
        if (n++ === 0) throw new Error('boom');
      },
      (err) => errors.push(err.message),
    );
    await p.settle();
    await p.settle();
    expect(errors).toEqual(['boom']);
    expect(n).toBe(2);
  });

  it('after stop() a settle() is released without a pass', async () => {
    let n = 0;
    const p = new SerialPasses(
      async () => {
        n++;
      },
      () => undefined,
    );
    await p.stop();
    await p.settle();
    expect(n).toBe(0);
  });
});

describe('KeyedPasses', () => {
  it('runs one pass at a time per key, keys side by side, and folds requests into one more pass', async () => {
    const running = new Map<string, number>();
    const passes: string[] = [];
    const release = new Map<string, () => void>();
    let most = 0;
    const p = new KeyedPasses<string>(
      async (k) => {
        running.set(k, (running.get(k) ?? 0) + 1);
        most = Math.max(most, running.get(k)!);
        passes.push(k);
        await new Promise<void>((r) => release.set(k, r));
        running.set(k, running.get(k)! - 1);
      },
      () => undefined,
    );
    p.request('a');
    p.request('b');
    await tick();
    expect(passes).toEqual(['a', 'b']);
    for (let i = 0; i < 3; i++) p.request('a');
    release.get('a')!();
    await tick();
    await tick();
    expect(passes).toEqual(['a', 'b', 'a']);
    release.get('a')!();
    release.get('b')!();
    await tick();
    await tick();
    expect(p.busy).toEqual([]);
    expect(most).toBe(1);
  });

  it('reports a failure with its key, and starts nothing after stop()', async () => {
    const errors: string[] = [];
    let n = 0;
    const p = new KeyedPasses<string>(
      async (k) => {
        n++;
        throw new Error(`boom ${k}`);
      },
      (k, err) => errors.push(`${k}: ${err.message}`),
    );
    p.request('x');
    await tick();
    await tick();
    expect(errors).toEqual(['x: boom x']);
    await p.stop();
    p.request('y');
    await tick();
    expect(n).toBe(1);
  });
});

describe('KeyedQueue', () => {
  it("runs one key's jobs one after another in order, every one, while other keys run at once", async () => {
    const q = new KeyedQueue<string>();
    const log: string[] = [];
    const gate: Record<string, () => void> = {};
    const job = (name: string) => () =>
      new Promise<string>((done) => {
        log.push(`start ${name}`);
        gate[name] = () => {
          log.push(`end ${name}`);
          done(name);
        };
      });
    const a1 = q.run('a', job('a1'));
    const a2 = q.run('a', job('a2'));
    const b1 = q.run('b', job('b1'));
    await tick();
    expect(log).toEqual(['start a1', 'start b1']); // a2 waits for a1; b does not
    gate.a1!();
    await tick();
    expect(log).toEqual(['start a1', 'start b1', 'end a1', 'start a2']);
    gate.a2!();
    gate.b1!();
    expect(await Promise.all([a1, a2, b1])).toEqual(['a1', 'a2', 'b1']);
  });

  it("a failed job rejects its own caller only; the key's next job still runs", async () => {
    const q = new KeyedQueue<string>();
    const failed = q.run('a', () => Promise.reject(new Error('no')));
    const next = q.run('a', () => Promise.resolve('ran'));
    await expect(failed).rejects.toThrow('no');
    expect(await next).toBe('ran');
  });
});
