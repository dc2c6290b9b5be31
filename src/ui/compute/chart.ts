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
  return levelsOf(resample(values, width), levels);
}

/** How a window of `windowMs` fits `width` columns: whole seconds per column, and the columns used. */
export function slotsFor(width: number, windowMs = 60_000): { slotMs: number; columns: number } {
  const slotMs = Math.max(1, Math.ceil(windowMs / 1000 / Math.max(1, width))) * 1000;
  return { slotMs, columns: Math.min(width, Math.ceil(windowMs / slotMs)) };
}

/**
 * Points for a chart whose columns are fixed slots of wall-clock time (each the largest value measured in
 * it), the newest slot, the one `now` is in, on the right. The chart moves one column when a slot begins,
 * not with every sample, so a quiet minute redraws once per slot rather than once a second; slots with no
 * sample are blank.
 */
export function slotted(
  values: readonly number[],
  at: readonly number[],
  now: number,
  width: number,
  windowMs = 60_000,
): (number | undefined)[] {
  const { slotMs, columns } = slotsFor(width, windowMs);
  const newest = Math.floor(now / slotMs);
  const out: (number | undefined)[] = Array<undefined>(width).fill(undefined);
  for (let i = 0; i < values.length; i++) {
    const age = newest - Math.floor(at[i]! / slotMs);
    if (age < 0 || age >= columns) continue;
    const col = width - 1 - age;
    out[col] = Math.max(out[col] ?? 0, values[i]!);
  }
  return out;
}

/**
 * A one-line chart of points that are already one per column (see `slotted`), against `top` (by default
 * the largest point; a pane passes its own so every row reads on one scale).
 */
export function levelsOf(
  points: readonly (number | undefined)[],
  glyphs: readonly string[],
  top = Math.max(0, ...points.map((p) => p ?? 0)),
): string {
  const steps = glyphs.length - 1;
  return points
    .map((p) => {
      if (p === undefined || p <= 0 || top === 0) return glyphs[0]!;
      return glyphs[Math.min(steps, Math.max(1, Math.round((p / top) * steps)))]!;
    })
    .join('');
}
