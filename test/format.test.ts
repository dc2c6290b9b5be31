import { describe, expect, it } from 'vitest';
import { formatRate, formatRtt, formatSince } from '../src/format.js';

describe('figures, one rule for the TUI and the CLI', () => {
  it('rates: decimal units, one decimal under 10, none from 10 up', () => {
    expect([0, 999, 1500, 12_345_678, 9_950, undefined].map(formatRate)).toEqual([
      '0 B/s',
      '999 B/s',
      '1.5 kB/s',
      '12 MB/s',
      '9.9 kB/s',
      '-',
    ]);
  });

  it('round trips: two decimals under 10 ms, none above', () => {
    expect([0.1234, 9.999, 24.4, null].map(formatRtt)).toEqual(['0.12 ms', '10.00 ms', '24 ms', '-']);
  });

  it("ages: whole seconds, minutes, hours, days as BGP's Up/Down says them; - without a time", () => {
    const now = 1_000_000_000;
    const ago = (ms: number) => formatSince(now - ms, now);
    expect(
      [0, 12_900, 59_999, 60_000, 4 * 60_000 + 59_000, 3_600_000, 3 * 3_600_000 + 1, 86_400_000 - 1].map(ago),
    ).toEqual(['0s', '12s', '59s', '1m', '4m', '1h', '3h', '23h']);
    expect([2 * 86_400_000, 365 * 86_400_000].map(ago)).toEqual(['2d', '365d']);
    // A since a little ahead of the reader's clock (another process stamped it) is 0s, never negative.
    expect(formatSince(now + 500, now)).toBe('0s');
    expect(formatSince(undefined, now)).toBe('-');
  });
});
