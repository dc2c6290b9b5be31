import { describe, expect, it } from 'vitest';
import { bootstrapMedianCI, median, range } from '../../bench/stats.mjs';

/** Normal draws from a seeded generator (Box-Muller), so the test's figures are the same every run. */
function normals(n: number, mean: number, sd: number, seed: number): number[] {
  let a = seed >>> 0 || 1;
  const u = () => {
    a ^= a << 13;
    a ^= a >>> 17;
    a ^= a << 5;
    return ((a >>> 0) + 1) / 4294967297; // xorshift32, in (0, 1)
  };
  return Array.from(
    { length: n },
    () => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
  );
}

describe('bench statistics', () => {
  it('takes the median and range of the finite values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([1, NaN, 3, Infinity, 2])).toBe(2);
    expect(median([])).toBeNaN();
    expect(range([0.93, 0.74, 1.13, NaN])).toEqual({ min: 0.74, max: 1.13 });
  });

  it('gives a bootstrap interval around the median, the same for the same figures', () => {
    const xs = normals(21, 0.97, 0.1, 7);
    const ci = bootstrapMedianCI(xs);
    expect(ci.low).toBeLessThanOrEqual(median(xs));
    expect(ci.high).toBeGreaterThanOrEqual(median(xs));
    expect(ci.high).toBeGreaterThan(ci.low);
    expect(bootstrapMedianCI(xs)).toEqual(ci);
    expect(bootstrapMedianCI([1.02, 1.02, 1.02])).toEqual({ low: 1.02, high: 1.02 });
    expect(bootstrapMedianCI([])).toEqual({ low: NaN, high: NaN });
  });

  it('narrows with less noise and more rounds, widens with a lower confidence asked', () => {
    const width = (ci: { low: number; high: number }) => ci.high - ci.low;
    const noisy = bootstrapMedianCI(normals(21, 1, 0.15, 3));
    const quiet = bootstrapMedianCI(normals(21, 1, 0.02, 3));
    const more = bootstrapMedianCI(normals(201, 1, 0.15, 3));
    expect(width(quiet)).toBeLessThan(width(noisy) / 3);
    expect(width(more)).toBeLessThan(width(noisy) / 2);
    expect(width(bootstrapMedianCI(normals(21, 1, 0.15, 3), { level: 0.5 }))).toBeLessThan(width(noisy));
  });

  it('holds the true median about 95 % of the time (rounds of 21 at +-15 % noise, as bench/overlay sees)', () => {
    let covered = 0;
    const trials = 200;
    for (let t = 0; t < trials; t++) {
      const ci = bootstrapMedianCI(normals(21, 0.97, 0.15, 1000 + t), { resamples: 1000, seed: t + 1 });
      if (ci.low <= 0.97 && 0.97 <= ci.high) covered++;
    }
    // A percentile bootstrap of a median from 21 values is close to nominal; 200 trials hold it to about +-3 %.
    expect(covered / trials).toBeGreaterThan(0.88);
    expect(covered / trials).toBeLessThan(0.995);
  }, 120_000); // a few hundred thousand sorts: seconds on a loaded machine
});
