import { describe, expect, it } from 'vitest';
import { FirstAnswers } from '../../src/telemetry/first-answers.js';

// bench/mesh-clocks.mjs's reading of the line: a pair with no such line reads "–" in the clock figure.
const ANSWERED = /peer probes: (\S+) answered (\d+) ms after it was planned/;

describe("a peer's first answer after it was planned (peer probes' log line)", () => {
  it('is logged once, with the time since it was planned and the loop that got it', () => {
    const f = new FirstAnswers();
    f.plan(['10.0.0.2', '10.0.0.3'], undefined, 1_000);
    expect(f.waiting('10.0.0.2')).toBe(true);
    const line = f.answered('10.0.0.2', 1_250, 'fast lane');
    expect(line).toBe('peer probes: 10.0.0.2 answered 250 ms after it was planned (fast lane)');
    expect(ANSWERED.exec(line!)?.slice(1)).toEqual(['10.0.0.2', '250']);
    expect(f.waiting('10.0.0.2')).toBe(false);
    expect(f.answered('10.0.0.2', 1_750, 'main loop')).toBeUndefined();
    // A peer already planned keeps its time when the plan grows.
    f.plan(['10.0.0.2', '10.0.0.3', '10.0.0.4'], ['10.0.0.2', '10.0.0.3'], 5_000);
    expect(f.answered('10.0.0.3', 6_000, 'main loop')).toMatch(
      /10\.0\.0\.3 answered 5000 ms .*\(main loop\)$/,
    );
  });

  it('is still logged, marked as after the lane, for a peer that first answers after the fast lane gave up', () => {
    const f = new FirstAnswers();
    f.plan(['10.0.0.2', '10.0.0.3'], undefined, 1_000);
    f.answered('10.0.0.2', 1_100, 'fast lane');
    f.giveUp(['10.0.0.2', '10.0.0.3']);
    // Not waited for any more: the lane does not take it again, and the merge does not wait for it.
    expect(f.waiting('10.0.0.3')).toBe(false);
    const line = f.answered('10.0.0.3', 41_000, 'main loop');
    expect(line).toBe(
      'peer probes: 10.0.0.3 answered 40000 ms after it was planned (main loop, after the fast lane ended)',
    );
    expect(ANSWERED.exec(line!)?.[1]).toBe('10.0.0.3');
    expect(f.answered('10.0.0.3', 42_000, 'main loop')).toBeUndefined();
  });

  it('forgets a given-up peer that leaves the plan, and plans it afresh if it comes back', () => {
    const f = new FirstAnswers();
    f.plan(['10.0.0.2', '10.0.0.3'], undefined, 1_000);
    f.giveUp(['10.0.0.3']);
    f.plan(['10.0.0.2'], ['10.0.0.2', '10.0.0.3'], 2_000);
    expect(f.answered('10.0.0.3', 3_000, 'main loop')).toBeUndefined();
    f.plan(['10.0.0.2', '10.0.0.3'], ['10.0.0.2'], 4_000);
    expect(f.waiting('10.0.0.3')).toBe(true);
    expect(f.answered('10.0.0.3', 4_500, 'main loop')).toMatch(/answered 500 ms .*\(main loop\)$/);
  });
});
