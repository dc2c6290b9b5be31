import { describe, expect, it } from 'vitest';
import { readOthersAgain } from '../../src/telemetry/fast-path.js';

describe("readOthersAgain: when the fast path reads the bridge's and host link's MACs", () => {
  it('reads them for a new tunnel device, and keeps them for the same one', () => {
    expect(readOthersAgain(undefined, 7, 0)).toBe(true);
    const found = { tunnel: 7, macs: ['02:00:00:00:00:01'], at: 0 };
    expect(readOthersAgain(found, 7, 3_600_000)).toBe(false);
    expect(readOthersAgain(found, 8, 1_000)).toBe(true);
  });

  it('keeps a miss (a tunnel without its bridge) for a while instead of asking ip every tick', () => {
    const missed = { tunnel: 7, macs: null, at: 50_000 };
    expect(readOthersAgain(missed, 7, 51_000)).toBe(false);
    expect(readOthersAgain(missed, 7, 59_999)).toBe(false);
    expect(readOthersAgain(missed, 7, 60_000)).toBe(true);
    expect(readOthersAgain(missed, 9, 51_000)).toBe(true);
  });
});
