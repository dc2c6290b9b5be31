import { describe, expect, it } from 'vitest';
import { RetryLog } from '../../src/docker/events.js';

describe("docker events' retry log", () => {
  it('says a reason once while it repeats, again when it changes, and how long it lasted once following', () => {
    const log = new RetryLog();
    const enoent = 'connect ENOENT /run/xnet/lab6/h41/docker.sock';
    expect(log.failed(enoent, 250, 1_000)).toBe(
      `docker events: ${enoent}; reconnecting in 250 ms, then every 5 s at most (said again when the reason changes)`,
    );
    // A host without dockerd: every 5 s, for as long as it runs, and nothing more said.
    for (let t = 2_000; t < 60_000; t += 5_000) expect(log.failed(enoent, 5_000, t)).toBeUndefined();
    expect(log.failed('connect ECONNREFUSED', 5_000, 61_000)).toMatch(
      /^docker events: connect ECONNREFUSED;/,
    );
    expect(log.connected(64_000)).toBe('docker events: following again after 14 failed tries over 63 s');
    // Following from the start: nothing to say; a later break is said anew.
    expect(log.connected(65_000)).toBeUndefined();
    expect(log.failed(enoent, 250, 70_000)).toMatch(/^docker events: connect ENOENT/);
    expect(log.connected(70_500)).toBe('docker events: following again after 1 failed try over 1 s');
  });
});
