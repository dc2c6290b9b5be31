import { describe, expect, it } from 'vitest';
import { formatRate, formatRtt } from '../src/format.js';

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
});
