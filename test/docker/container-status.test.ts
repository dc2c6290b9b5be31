import { describe, expect, it } from 'vitest';
import { humanDuration, statusText, type StateTimes } from '../../src/docker/container-status.js';

const T = Date.parse('2026-11-30T06:00:00Z');
const base: StateTimes = {
  status: 'running',
  running: true,
  paused: false,
  restarting: false,
  exitCode: 0,
  startedAt: '2026-11-30T05:55:00Z',
  finishedAt: '0001-01-01T00:00:00Z',
};

describe("docker ps's STATUS, worded as dockerd words it", () => {
  it('durations as go-units says them', () => {
    expect(
      [
        0.5,
        1,
        59,
        60,
        119,
        120,
        3599,
        3600,
        5400,
        47 * 3600,
        48 * 3600,
        14 * 86400,
        60 * 86400,
        800 * 86400,
      ].map((s) => humanDuration(s * 1000)),
    ).toEqual([
      'Less than a second',
      '1 second',
      '59 seconds',
      'About a minute',
      'About a minute',
      '2 minutes',
      '59 minutes',
      'About an hour',
      '2 hours',
      '47 hours',
      '2 days',
      '2 weeks',
      '2 months',
      '2 years',
    ]);
  });

  it('running, paused, exited, created: and the figure moves with the clock, not with dockerd', () => {
    expect(statusText(base, T)).toBe('Up 5 minutes');
    expect(statusText(base, T + 3_600_000)).toBe('Up About an hour');
    expect(statusText({ ...base, paused: true }, T)).toBe('Up 5 minutes (Paused)');
    const exited = {
      ...base,
      status: 'exited',
      running: false,
      exitCode: 137,
      finishedAt: '2026-11-30T05:59:30Z',
    };
    expect(statusText(exited, T)).toBe('Exited (137) 30 seconds ago');
    expect(
      statusText({ ...base, status: 'created', running: false, startedAt: '0001-01-01T00:00:00Z' }, T),
    ).toBe('Created');
  });
});
