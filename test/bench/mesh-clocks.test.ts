import { describe, expect, it } from 'vitest';
import { hostClocks, meshClocks } from '../../bench/mesh-clocks.mjs';

// Lines as a lab agent wrote them in a 3-host chain (h3 joining last at 12:00:10.000).
const h1 = [
  '2026-11-30T12:00:05.000Z xnet-agent[1]: membership: 2/2 alive (was 1), synced in 40 ms (device 30 ms, filter 2 ms)',
  '2026-11-30T12:00:05.400Z xnet-agent[1]: peer probes: fe80::2 answered 400 ms after it was planned (fast lane)',
  '2026-11-30T12:00:10.300Z xnet-agent[1]: membership: 3/3 alive (was 2), synced in 50 ms (read by the watch) (device 40 ms, filter 2 ms)',
  '2026-11-30T12:00:10.800Z xnet-agent[1]: peer probes: fe80::3 answered 500 ms after it was planned (fast lane)',
].join('\n');
const h2 = [
  '2026-11-30T12:00:05.100Z xnet-agent[2]: membership: 2/2 alive (was 1), synced in 40 ms (device 30 ms, filter 2 ms)',
  '2026-11-30T12:00:05.300Z xnet-agent[2]: peer probes: fe80::1 answered 200 ms after it was planned (main loop)',
  '2026-11-30T12:00:10.500Z xnet-agent[2]: membership: 3/3 alive (was 2), synced in 50 ms (device 40 ms, filter 2 ms)',
  // A flap: h3 failed, then alive again: seen all alive only from the return.
  '2026-11-30T12:00:11.000Z xnet-agent[2]: membership: 2/3 alive (was 3), synced in 5 ms (device 4 ms, filter 1 ms)',
  '2026-11-30T12:00:11.600Z xnet-agent[2]: membership: 3/3 alive (was 2), synced in 5 ms (device 4 ms, filter 1 ms)',
  '2026-11-30T12:00:11.900Z xnet-agent[2]: peer probes: fe80::3 answered 900 ms after it was planned (fast lane)',
].join('\n');
const h3 = [
  '2026-11-30T12:00:09.800Z xnet-agent[3]: membership: 3/3 alive (was 1), synced in 900 ms (device 800 ms, filter 700 ms)',
  '2026-11-30T12:00:10.100Z xnet-agent[3]: peer probes: fe80::1 answered 300 ms after it was planned (main loop)',
  '2026-11-30T12:00:10.200Z xnet-agent[3]: peer probes: fe80::2 answered 400 ms after it was planned (main loop)',
].join('\n');
const at = (t: string) => Date.parse(`2026-11-30T${t}Z`);

describe('hostClocks', () => {
  it('takes the start of the last run of all-alive reads, and the last first answer of every peer', () => {
    expect(hostClocks(h2, 3, at('12:01:00'))).toEqual({
      aliveSince: at('12:00:11.600'),
      reachableSince: at('12:00:11.900'),
      peersAnswered: 2,
    });
  });

  it('says nothing a log does not say by then: not all alive, a peer never answered', () => {
    expect(hostClocks(h1, 3, at('12:00:10.500'))).toEqual({
      aliveSince: at('12:00:10.300'),
      reachableSince: null,
      peersAnswered: 1,
    });
    expect(hostClocks(h1, 3, at('12:00:10.000')).aliveSince).toBeNull();
  });
});

describe('meshClocks', () => {
  it('is the last host to see it, from the last connect (0 for what was seen before it)', () => {
    expect(meshClocks([h1, h2, h3], 3, at('12:00:10.000'), at('12:01:00'))).toEqual({
      aliveMs: 1600,
      reachableMs: 1900,
    });
    expect(meshClocks([h3], 3, at('12:00:10.000'), at('12:01:00'))).toEqual({ aliveMs: 0, reachableMs: 200 });
  });

  it('is NaN while any host has not seen it', () => {
    expect(meshClocks([h1, h2, h3], 3, at('12:00:10.000'), at('12:00:11.000')).reachableMs).toBeNaN();
  });
});
