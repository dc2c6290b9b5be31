import { describe, expect, it } from 'vitest';
import { poll } from '../src/poll.js';

describe('poll', () => {
  it('returns the first value check gives, asking again every everyMs', async () => {
    let asked = 0;
    const v = await poll(() => (++asked === 3 ? 'up' : undefined), { everyMs: 5, withinMs: 1_000 });
    expect([v, asked]).toEqual(['up', 3]);
  });

  it('gives false as a value (a check that gives up), not as "ask again"', async () => {
    let asked = 0;
    expect(await poll(() => (asked++, false), { everyMs: 5, withinMs: 1_000 })).toBe(false);
    expect(asked).toBe(1);
  });

  it('returns undefined at the deadline, having asked at least once', async () => {
    let asked = 0;
    const t0 = Date.now();
    expect(await poll(() => void asked++, { everyMs: 10, withinMs: 50 })).toBeUndefined();
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
  });

  it('lets what check throws through', async () => {
    await expect(
      poll(
        () => {
          throw new Error('died');
        },
        { everyMs: 5, withinMs: 1_000 },
      ),
    ).rejects.toThrow('died');
  });
});
