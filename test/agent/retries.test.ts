import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffMs, Retries } from '../../src/agent/retries.js';

describe('backoffMs', () => {
  it('starts at 250 ms, doubles, and stops at 30 s', () => {
    expect([1, 2, 3, 4, 5].map(backoffMs)).toEqual([250, 500, 1000, 2000, 4000]);
    expect(backoffMs(8)).toBe(30_000);
    expect(backoffMs(50)).toBe(30_000);
  });
});

describe('Retries', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs failed work again after the back-off, keeps the reason until it succeeds', async () => {
    vi.useFakeTimers();
    const runs: string[] = [];
    const r = new Retries(async (key) => {
      runs.push(key);
    });
    const f = r.failed('web', 'RTNETLINK answers: File exists');
    expect(f).toMatchObject({ key: 'web', attempts: 1, reason: 'RTNETLINK answers: File exists' });
    await vi.advanceTimersByTimeAsync(249);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toEqual(['web']);
    expect(r.failed('web', 'again').attempts).toBe(2);
    expect(r.list()).toHaveLength(1);
    r.succeeded('web');
    expect(r.get('web')).toBeUndefined();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toEqual(['web']);
  });

  it('a cancelled retry does not run', async () => {
    vi.useFakeTimers();
    let runs = 0;
    const r = new Retries(async () => void runs++);
    r.failed('db', 'x');
    r.cancel('db');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(0);
  });
});
