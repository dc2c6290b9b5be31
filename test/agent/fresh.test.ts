import { describe, expect, it } from 'vitest';
import { Fresh } from '../../src/agent/fresh.js';

/** A read that resolves when told to, counting how often it was started. */
function reads() {
  const started: Array<(v: number) => void> = [];
  let failNext = false;
  return {
    started,
    failNext: () => (failNext = true),
    load: () =>
      new Promise<number>((resolve, reject) => {
        if (failNext) {
          failNext = false;
          reject(new Error('serf RPC closed'));
          return;
        }
        started.push(resolve);
      }),
  };
}

describe('Fresh', () => {
  it('shares one read among callers within the age, in flight and done', async () => {
    let t = 0;
    const r = reads();
    const f = new Fresh(r.load, 1000, () => t);
    const a = f.get();
    const b = f.get();
    expect(r.started).toHaveLength(1);
    r.started[0]!(7);
    expect(await a).toBe(7);
    expect(await b).toBe(7);
    t = 999;
    expect(await f.get()).toBe(7);
    expect(r.started).toHaveLength(1);
  });

  it('reads again once the value is as old as the age', async () => {
    let t = 0;
    const r = reads();
    const f = new Fresh(r.load, 1000, () => t);
    const a = f.get();
    r.started[0]!(1);
    await a;
    t = 1000;
    const b = f.get();
    expect(r.started).toHaveLength(2);
    r.started[1]!(2);
    expect(await b).toBe(2);
  });

  it('after invalidate, never hands out a read that began before it', async () => {
    const r = reads();
    const f = new Fresh(r.load, 1000, () => 0);
    const before = f.get();
    f.invalidate();
    const after = f.get();
    expect(r.started).toHaveLength(2);
    r.started[1]!(2);
    r.started[0]!(1);
    expect(await before).toBe(1);
    expect(await after).toBe(2);
    expect(await f.get()).toBe(2);
    expect(r.started).toHaveLength(2);
  });

  it('does not keep a failed read', async () => {
    const r = reads();
    const f = new Fresh(r.load, 1000, () => 0);
    r.failNext();
    await expect(f.get()).rejects.toThrow('serf RPC closed');
    const again = f.get();
    expect(r.started).toHaveLength(1);
    r.started[0]!(3);
    expect(await again).toBe(3);
  });
});
