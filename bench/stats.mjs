// The statistics the benches print: pure functions, unit tested (test/bench/stats.test.ts).

const sortedOf = (xs) => xs.filter(Number.isFinite).sort((a, b) => a - b);

/** The median of the finite values (the mean of the middle two for an even count); NaN when there are none. */
export function median(xs) {
  const s = sortedOf([...xs]);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Smallest and largest finite value. */
export function range(xs) {
  const s = sortedOf([...xs]);
  return { min: s[0] ?? NaN, max: s.at(-1) ?? NaN };
}

/** mulberry32: a small seeded generator, so a bench's interval is the same for the same figures. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A percentile bootstrap confidence interval of the median: `resamples` draws of n values with replacement
 * from the n finite values given, the median of each, and the (1-level)/2 and (1+level)/2 quantiles of those
 * medians. With 15 to 21 rounds it says whether a median ratio of 0.97 can be told from 1.00 at all.
 */
export function bootstrapMedianCI(xs, { level = 0.95, resamples = 10_000, seed = 1 } = {}) {
  const s = sortedOf([...xs]);
  const n = s.length;
  if (n === 0) return { low: NaN, high: NaN };
  const next = random(seed);
  const medians = new Float64Array(resamples);
  const draw = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) draw[i] = s[Math.floor(next() * n)];
    draw.sort();
    const mid = n >> 1;
    medians[b] = n % 2 ? draw[mid] : (draw[mid - 1] + draw[mid]) / 2;
  }
  medians.sort();
  const at = (q) => medians[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return { low: at((1 - level) / 2), high: at((1 + level) / 2) };
}
