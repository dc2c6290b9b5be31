import { describe, expect, it } from 'vitest';
import { SerialPasses } from '../src/passes.js';

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
