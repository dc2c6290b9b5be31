import { describe, expect, it } from 'vitest';
import { clockReadings } from '../../src/router/serf/clock.js';

describe('clockReadings', () => {
  // The serf CLI's lines as they arrived: started at t, the query out 10 ms later (the CLI's own start-up).
  const started = 1_000_000_000_000;
  const sent = started + 10;
  const lines = [
    { at: sent, text: "Query 'xnet-clock' dispatched" },
    { at: sent + 30, text: "Ack from '198.18.0.2'" },
    { at: sent + 40, text: `Response from '198.18.0.1': ${sent + 5}` },
    { at: sent + 40, text: `Response from '198.18.0.2': ${sent + 20}` },
    { at: sent + 90, text: `Response from '198.18.0.3': ${sent + 5_045}` },
    { at: sent + 95, text: `Response from '198.18.0.4': not a clock` },
    { at: sent + 99, text: 'Total Acks: 3' },
  ];

  it("takes each peer's reading against the middle of [CLI started, answer read], give or take half; not our own", () => {
    expect(clockReadings(started, lines, '198.18.0.1')).toEqual([
      { name: '198.18.0.2', offsetMs: 5, uncertaintyMs: 25 },
      { name: '198.18.0.3', offsetMs: 5_005, uncertaintyMs: 50 },
    ]);
  });

  it('the dispatched line, read late on a loaded machine, does not narrow the round trip: the bound holds', () => {
    // The CLI said "dispatched" and the answer in one read, 40 ms after it started; the peer (same clock) read
    // its clock 12 ms in. Taken from the dispatched line this was "-28 ms ± 0 ms", outside its own bound.
    const late = [
      { at: started + 40, text: "Query 'xnet-clock' dispatched" },
      { at: started + 40, text: `Response from '198.18.0.2': ${started + 12}` },
    ];
    const [c] = clockReadings(started, late, '198.18.0.1');
    expect(c).toEqual({ name: '198.18.0.2', offsetMs: -8, uncertaintyMs: 20 });
    expect(Math.abs(c!.offsetMs)).toBeLessThanOrEqual(c!.uncertaintyMs);
  });
});
