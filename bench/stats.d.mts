// Types of bench/stats.mjs, for the unit test (the benches are plain Node scripts).
export function median(xs: readonly number[]): number;
export function range(xs: readonly number[]): { min: number; max: number };
export function bootstrapMedianCI(
  xs: readonly number[],
  options?: { level?: number; resamples?: number; seed?: number },
): { low: number; high: number };
