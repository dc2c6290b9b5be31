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

  it("takes each peer's reading against the middle of its round trip, give or take half of it; not our own", () => {
    expect(clockReadings(started, lines, '198.18.0.1')).toEqual([
      { name: '198.18.0.2', offsetMs: 0, uncertaintyMs: 20 },
      { name: '198.18.0.3', offsetMs: 5_000, uncertaintyMs: 45 },
    ]);
  });

  it('without the dispatched line, the round trip starts when the CLI was started', () => {
    expect(clockReadings(started, lines.slice(1), '198.18.0.1')[0]).toEqual({
      name: '198.18.0.2',
      offsetMs: 5,
      uncertaintyMs: 25,
    });
  });
});
