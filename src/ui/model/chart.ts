/**
 * `width` points from `values` (oldest first): the newest at the right, older ones merged by their maximum so a
 * burst never disappears between columns; missing history on the left is left blank.
 */
export function resample(values: readonly number[], width: number): (number | undefined)[] {
  if (width <= 0) return [];
  if (values.length <= width) {
    return [...Array<undefined>(width - values.length).fill(undefined), ...values];
  }
  const out: number[] = [];
  for (let col = 0; col < width; col++) {
    const from = Math.floor((col * values.length) / width);
    const to = Math.floor(((col + 1) * values.length) / width);
    out.push(Math.max(...values.slice(from, Math.max(to, from + 1))));
  }
  return out;
}

/**
 * A one-line chart: each column's level is its value over the largest one, in `levels` (lowest first; the
 * first is "nothing"). Any non-zero value shows at least the lowest visible level.
 */
export function sparkline(values: readonly number[], width: number, levels: readonly string[]): string {
  const points = resample(values, width);
  const top = Math.max(0, ...points.map((p) => p ?? 0));
  const steps = levels.length - 1;
  return points
    .map((p) => {
      if (p === undefined || p <= 0 || top === 0) return levels[0]!;
      return levels[Math.max(1, Math.round((p / top) * steps))]!;
    })
    .join('');
}
