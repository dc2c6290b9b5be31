import { describe, expect, it } from 'vitest';
import { parseFpingCounts, parseFpingLine } from '../../src/telemetry/fping.js';
import {
  STALE_MS,
  currentState,
  record,
  secondsInState,
  stateOf,
  windowOf,
} from '../../src/telemetry/check-state.js';
import { largestCrossing, loopsStarting, pathFromLoops, verdict } from '../../src/telemetry/pmtu.js';
import { parseTarget } from '../../src/telemetry/handlers.js';
import { XnetError } from '../../src/errors.js';
import { describeDriver } from '../../src/router/descriptions.js';
import type { PingCheck, PingProbe, PingState } from '../../src/api/telemetry.js';

describe('fping output', () => {
  // Lines printed by fping 5.1 `-l -D -e` inside a lab host.
  it('reads answers and timeouts of the loop mode', () => {
    expect(
      parseFpingLine('[1795596733.20243] 198.18.0.2  : [0], 64 bytes, 0.084 ms (0.084 avg, 0% loss)'),
    ).toEqual({
      t: 1795596733202,
      target: '198.18.0.2',
      seq: 0,
      rttMs: 0.084,
    });
    expect(parseFpingLine('[1795596733.61362] 198.18.0.77 : [12], timed out (NaN avg, 100% loss)')).toEqual({
      t: 1795596733614,
      target: '198.18.0.77',
      seq: 12,
      rttMs: null,
    });
    expect(
      parseFpingLine(
        '[1795596946.02512] fe80::a487:9fff:fe7b:8ef%ethwe : [3], 64 bytes, 0.197 ms (0.19 avg, 0% loss)',
      )?.target,
    ).toBe('fe80::a487:9fff:fe7b:8ef%ethwe');
    expect(
      parseFpingLine('ICMP Port Unreachable from 198.18.0.9 for ICMP Echo sent to 198.18.0.77'),
    ).toBeUndefined();
  });

  it('reads the -C summary with lost probes as null', () => {
    const m = parseFpingCounts('172.25.11.24 : 0.12 0.15 0.18\n172.25.11.99 : - - -\n10.0.0.1 : 0.2 - 0.3\n');
    expect(m.get('172.25.11.24')).toEqual([0.12, 0.15, 0.18]);
    expect(m.get('172.25.11.99')).toEqual([null, null, null]);
    expect(m.get('10.0.0.1')).toEqual([0.2, null, 0.3]);
  });
});

describe('ping check state', () => {
  const probes = (rtts: (number | null)[], t0 = 0): PingProbe[] =>
    rtts.map((rttMs, i) => ({ t: t0 + i * 500, rttMs }));
  it('is down after three lost probes in a row, up after two answers, degraded between', () => {
    expect(stateOf([])).toBe('pending');
    expect(stateOf(probes([null]))).toBe('pending');
    expect(stateOf(probes([0.1]))).toBe('up');
    expect(stateOf(probes([0.1, 0.1, null]))).toBe('degraded');
    expect(stateOf(probes([0.1, null, null]))).toBe('degraded');
    expect(stateOf(probes([0.1, null, null, null]))).toBe('down');
    expect(stateOf(probes([null, null, null, 0.2]))).toBe('degraded');
    expect(stateOf(probes([null, null, null, 0.2, 0.3]))).toBe('up');
  });

  it('has no state without current samples: pending before the first, unknown when they stop or cannot run', () => {
    const h = probes([0.1, 0.2, 0.1], 100_000); // last probe at 101_000
    expect(currentState([], 200_000, null)).toBe('pending');
    expect(currentState(h, 101_500, null)).toBe('up');
    // The source container stopped: fping gone, the last answers a minute old. Not "up" on nothing.
    expect(currentState(h, 101_000 + STALE_MS + 1, null)).toBe('unknown');
    expect(windowOf(h, 120_000).sent).toBe(0);
    // fping for the source failed (no overlay interface): unknown at once, whatever came before.
    expect(currentState(h, 101_500, 'fping exited: no such device ethwe')).toBe('unknown');
    const down = probes([0.1, null, null, null], 100_000);
    expect(currentState(down, 101_600, null)).toBe('down');
    expect(currentState(down, 110_000, null)).toBe('unknown');
  });

  it('says how long a check has been in its state by the newest probe', () => {
    const h = probes([0.1, null, null, null, null], 100_000); // newest at 102_000
    expect(secondsInState({ since: new Date(100_500).toISOString(), history: h })).toBe(2);
    expect(secondsInState({ since: new Date(100_500).toISOString(), history: [] })).toBeNull();
  });

  it('gives loss and RTT over the last 10 s and keeps a minute', () => {
    const h = probes([0.1, null, 0.3, null], 100_000);
    const w = windowOf(h, 101_600);
    expect(w).toEqual({
      seconds: 10,
      sent: 4,
      received: 2,
      lossPct: 50,
      rttMs: { min: 0.1, avg: 0.2, max: 0.3 },
    });
    expect(windowOf(h, 200_000).sent).toBe(0);
    const kept: PingProbe[] = [];
    for (let i = 0; i < 200; i++) record(kept, { t: i * 500, rttMs: 1 });
    expect(kept).toHaveLength(120);
  });
});

describe('path MTU search', () => {
  const path = (limit: number | null) => {
    const asked: number[] = [];
    return { asked, crosses: async (size: number) => (asked.push(size), limit !== null && size <= limit) };
  };
  it('finds the largest size that crosses, or says none does', async () => {
    for (const limit of [1450, 1350, 1349, 1000, 105, 104]) {
      const p = path(limit);
      expect(await largestCrossing(p.crosses, 1450), `limit ${limit}`).toBe(limit);
      expect(p.asked.length).toBeLessThan(15);
    }
    expect(await largestCrossing(path(null).crosses, 1450)).toBeNull();
    expect(await largestCrossing(path(1500).crosses, 1450)).toBe(1450);
  });
  it('names the number to set when the path is smaller than the bridge', () => {
    const who = { peer: '198.18.0.2', nickname: 'two', probeAddress: 'fe80::1' };
    expect(verdict(who, 1450, 1450, 'now', describeDriver('vxlan')).state).toBe('ok');
    const v = verdict(who, 1450, 1350, 'now', describeDriver('vxlan'));
    expect(v).toMatchObject({ state: 'mismatch', suggestedMtu: 1350 });
    expect(v.detail).toMatch(/set the overlay MTU to 1350.*raise the underlay MTU to 1500$/);
    expect(verdict(who, 1450, null, 'now', describeDriver('vxlan')).state).toBe('unreachable');
  });
});

describe('path MTU from the probe loops', () => {
  const window = { seconds: 10, sent: 20, received: 20, lossPct: 0, rttMs: null };
  const check = (
    small: PingState,
    full: PingState | null,
    why: string | null = null,
    bytes = 1450,
  ): PingCheck => ({
    id: 'a-host-198.18.0.2',
    kind: 'auto',
    from: null,
    target: 'fe80::1',
    peer: '198.18.0.2',
    label: 'host -> peer two',
    state: small,
    since: 'now',
    lastRttMs: null,
    window,
    history: [],
    error: null,
    why,
    fullSize: full === null ? null : { packetBytes: bytes, state: full, window, mtuToSet: null },
  });
  it('takes the bridge MTU when full-size probes answer, and nothing crosses when both sizes are lost', () => {
    expect(pathFromLoops(check('up', 'up'), 1450)).toBe(1450);
    expect(pathFromLoops(check('down', 'down'), 1450)).toBeNull();
  });
  it('takes the bridge MTU from a degraded full-size stream: one of its probes crossed', () => {
    expect(pathFromLoops(check('degraded', 'degraded'), 1450)).toBe(1450);
    expect(pathFromLoops(check('up', 'degraded'), 1450)).toBe(1450);
    expect(pathFromLoops(check('up', 'degraded', null, 1400), 1450)).toBeUndefined();
  });
  it('leaves to a search what only a search can tell', () => {
    // Small answered, full-size lost: the number to set needs the binary search.
    expect(pathFromLoops(check('down', 'down', '1450-byte packets do not cross'), 1450)).toBeUndefined();
    expect(pathFromLoops(check('pending', 'pending'), 1450)).toBeUndefined();
    expect(pathFromLoops(check('up', null), 1450)).toBeUndefined();
    expect(pathFromLoops(undefined, 1450)).toBeUndefined();
    // Loops still probing the old, smaller size say nothing about a larger bridge MTU.
    expect(pathFromLoops(check('up', 'up', null, 1400), 1450)).toBeUndefined();
  });
  it('searches no peer whose loops have not answered yet (a peer that just joined)', () => {
    expect(loopsStarting(check('pending', 'pending'))).toBe(true);
    expect(loopsStarting(check('up', 'pending'))).toBe(true);
    expect(loopsStarting(check('up', 'down', '1450-byte packets do not cross'))).toBe(false);
    expect(loopsStarting(check('down', 'down'))).toBe(false);
    expect(loopsStarting(undefined)).toBe(false);
  });
});

describe('ping targets', () => {
  it('takes IPv4, IPv6 and scoped link-local addresses', () => {
    for (const t of ['172.25.11.24', '2001:db8::1', 'fe80::1%ethwe']) expect(parseTarget(t)).toBe(t);
  });
  it('refuses anything else, naming the field', () => {
    for (const t of ['1.2.3', 'web', '172.25.11.24%eth0', '2001:db8::1%eth0', '0.0.0.0', '', '1.2.3.4.5']) {
      let err: unknown;
      try {
        parseTarget(t);
      } catch (e) {
        err = e;
      }
      expect(err, t).toBeInstanceOf(XnetError);
      expect((err as XnetError).field).toBe('target');
      expect((err as XnetError).exitCode).toBe(2);
    }
  });
});
