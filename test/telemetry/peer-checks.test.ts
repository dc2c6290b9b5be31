import { describe, expect, it } from 'vitest';
import {
  dataPlaneOf,
  fullSizePayload,
  linkLocalOfMac,
  planPayload,
  scopedTarget,
  tooBig,
} from '../../src/router/data-plane.js';
import { lanProbePlan, peersOf } from '../../src/router/bridge/status.js';
import { probeAddressOf } from '../../src/router/weave/status.js';
import { STALE_MS, currentState, staleAfter } from '../../src/telemetry/check-state.js';
import {
  FAST_PROBES_PER_SECOND,
  PEER_PROBES_PER_SECOND,
  probePeriods,
  usesFastLane,
} from '../../src/telemetry/peer-probes.js';
import { fullSizeWhy, peerCheckState } from '../../src/telemetry/peer-verdict.js';
import { describeDriver } from '../../src/router/descriptions.js';

const vxlan = describeDriver('vxlan');
import { PingChecks, type CheckDef } from '../../src/telemetry/pings.js';

describe('a peer from its small and full-size probes', () => {
  it('fills a packet of exactly the overlay MTU (IPv6 40 + ICMPv6 8 around the payload)', () => {
    expect(fullSizePayload(1450)).toBe(1402);
  });

  it('fills it for IPv4 targets too (IPv4 20 + ICMP 8), one size per plan, IPv6 when a plan mixes them', () => {
    expect(fullSizePayload(1500, '198.18.0.2')).toBe(1472);
    expect(fullSizePayload(1462, '172.25.2.1')).toBe(1434);
    expect(planPayload({ mtu: 1500, targets: ['198.18.0.2', '198.18.0.3'] })).toBe(1472);
    expect(planPayload({ mtu: 1450, targets: ['fe80::1'] })).toBe(1402);
    expect(planPayload({ mtu: 1500, targets: ['198.18.0.2', 'fe80::1'] })).toBe(1452);
  });

  it('scopes only link-local targets to the probe point', () => {
    expect(scopedTarget('fe80::78bb:ff:fe00:2', 'weave')).toBe('fe80::78bb:ff:fe00:2%weave');
    expect(scopedTarget('198.18.0.2', 'br0')).toBe('198.18.0.2');
    expect(scopedTarget('fd00::2', 'xnet')).toBe('fd00::2');
  });

  it("finds a Weave peer's probe address from its name, the MAC weaver gives its bridge", () => {
    expect(linkLocalOfMac('7a:bb:00:00:00:02')).toBe('fe80::78bb:ff:fe00:2');
    expect(probeAddressOf('7a:bb:00:00:00:02', false)).toBe('fe80::78bb:ff:fe00:2');
    expect(probeAddressOf('7a:aa:00:00:00:01', true)).toBeNull();
    expect(probeAddressOf('not-a-mac', false)).toBeNull();
  });

  it("plans the bridge driver's probes from br0 to every other alive member, and reads its peers from them", () => {
    const m = (address: string, status: 'alive' | 'failed' = 'alive') => ({
      name: address,
      address,
      nickname: '',
      subnet: null,
      status,
    });
    const members = [m('198.18.0.1'), m('198.18.0.2'), m('198.18.0.3', 'failed')];
    expect(lanProbePlan('br0', undefined, 1500, members, '198.18.0.1')).toEqual({
      point: { netns: undefined, dev: 'br0' },
      mtu: 1500,
      targets: ['198.18.0.2'],
    });
    const reading = (a: string) =>
      a === '198.18.0.2'
        ? { small: 'up' as const, full: 'up' as const, rttMs: 0.2, checkedAt: '2026-11-30T04:00:00.000Z' }
        : {
            small: 'down' as const,
            full: 'down' as const,
            rttMs: null,
            checkedAt: '2026-11-30T04:00:00.000Z',
          };
    expect(
      peersOf(members, '198.18.0.1', reading).map((p) => [p.dataPlane.state, p.dataPlane.rttMs]),
    ).toEqual([
      ['reachable', 0],
      ['reachable', 0.2],
      ['unreachable', null],
    ]);
    expect(peersOf(members, '198.18.0.1', undefined)[1]!.dataPlane).toMatchObject({
      state: 'unknown',
      detail: 'not probed yet',
    });
  });

  it('is mtu-too-small, and its check down, only when small probes answer and full-size ones do not', () => {
    expect(tooBig('up', 'down')).toBe(true);
    expect(tooBig('degraded', 'down')).toBe(true);
    expect(tooBig('down', 'down')).toBe(false);
    expect(tooBig('up', 'degraded')).toBe(false);
    expect(dataPlaneOf('up', 'up')).toBe('reachable');
    expect(dataPlaneOf('up', 'down')).toBe('mtu-too-small');
    expect(dataPlaneOf('down', 'down')).toBe('unreachable');
    expect(dataPlaneOf('down', 'up')).toBe('unreachable');
    expect(dataPlaneOf('pending', 'pending')).toBe('unknown');
    expect(dataPlaneOf('unknown', 'up')).toBe('unknown');
    expect(peerCheckState('up', 'down')).toBe('down');
    expect(peerCheckState('up', 'pending')).toBe('up');
    expect(peerCheckState('degraded', 'up')).toBe('degraded');
    expect(peerCheckState('pending', 'down')).toBe('pending');
  });

  it('says the size that fails and the overlay MTU to set, or that it is being measured', () => {
    expect(fullSizeWhy(1450, 1354, vxlan)).toBe(
      '1450-byte packets do not cross; set the overlay MTU to 1354: xnet-tui launch --mtu 1354',
    );
    expect(fullSizeWhy(1450, null, vxlan)).toMatch(
      /^1450-byte packets do not cross; .*xnet-tui launch --mtu N$/,
    );
  });

  it('a check that cannot run is unknown even before its first probe', () => {
    expect(currentState([], 1_000, 'container web is not running')).toBe('unknown');
  });

  it('slows each peer loop as peers grow, so a host sends about the same probes a second', () => {
    expect(probePeriods(1)).toEqual({ small: 500, full: 500 });
    expect(probePeriods(10)).toEqual({ small: 500, full: 500 });
    expect(probePeriods(11)).toEqual({ small: 550, full: 1_100 });
    const at49 = probePeriods(49);
    expect(at49).toEqual({ small: 2_450, full: 4_900 });
    expect(49 / (at49.small / 1000)).toBeLessThanOrEqual(PEER_PROBES_PER_SECOND);
  });

  it('takes joins past 10 peers in a fast lane of their own, and restarts the loops up to 10 as before', () => {
    const point = { netns: '/run/netns/ov', dev: 'xnet' };
    const plan = (n: number, mtu = 1450) => ({
      point,
      mtu,
      targets: Array.from({ length: n }, (_, i) => `fe80::${i + 1}`),
    });
    expect(usesFastLane(undefined, plan(49))).toBe(false);
    expect(usesFastLane(plan(48), plan(49))).toBe(true);
    expect(usesFastLane(plan(9), plan(10))).toBe(false);
    expect(usesFastLane(plan(48), plan(49, 1400))).toBe(false);
    expect(usesFastLane(plan(48), { ...plan(49), point: { ...point, dev: 'weave' } })).toBe(false);
    // 48 peers joining at once are probed every 1.2 s until they answer, not every 2.45 s.
    expect(probePeriods(48, FAST_PROBES_PER_SECOND).small).toBe(1_200);
  });

  it('keeps a slow loop current for three of its periods, and a fast one for STALE_MS', () => {
    const probe = [{ t: 0, rttMs: 0.2 }];
    expect(staleAfter(500)).toBe(STALE_MS);
    expect(currentState(probe, 4_000, null, staleAfter(2_450))).toBe('up');
    expect(currentState(probe, 4_000, null)).toBe('unknown');
    expect(currentState(probe, 7_400, null, staleAfter(2_450))).toBe('unknown');
  });
});

describe('automatic checks fed from the host peer probes', () => {
  const T0 = Date.now();
  let mtuToSet: number | null = null;
  const def: CheckDef = {
    id: 'a-host-198.18.0.2',
    kind: 'auto',
    source: { key: 'peers', name: null, netns: undefined, error: null, external: true },
    target: 'fe80::1%xnet',
    peer: '198.18.0.2',
    label: 'host -> peer two (198.18.0.2)',
    full: { packetBytes: 1450, mtuToSet: () => mtuToSet, driver: vxlan },
  };
  const line = (i: number, rttMs: number | null) => ({ t: T0 + i * 500, target: def.target, seq: i, rttMs });

  it('go down with the number to set when only full-size probes are lost, and up again', () => {
    const logged: string[] = [];
    const pings = new PingChecks((m) => logged.push(m));
    pings.sync([def]);
    for (let i = 0; i < 4; i++) {
      pings.feed('peers', line(i, 0.1));
      pings.feed('peers', line(i, 0.2), true);
    }
    const at = T0 + 4 * 500;
    expect(pings.checks(at)[0]).toMatchObject({ state: 'up', why: null, fullSize: { state: 'up' } });
    for (let i = 4; i < 8; i++) {
      pings.feed('peers', line(i, 0.1));
      pings.feed('peers', line(i, null), true);
    }
    const down = pings.checks(T0 + 8 * 500)[0]!;
    expect(down.state).toBe('down');
    expect(down.why).toMatch(/measuring/);
    expect(down.fullSize).toMatchObject({ packetBytes: 1450, state: 'down', mtuToSet: null });
    // What the health watch and the path MTU's beat read each second say the same, without the histories.
    expect(pings.states(T0 + 8 * 500)).toEqual([
      { id: def.id, label: def.label, state: 'down', lossPct: 0, error: null, why: down.why },
    ]);
    expect(pings.fullSizeDown(T0 + 8 * 500)).toEqual(['198.18.0.2']);
    // The small probes still answer: their window says so; the full-size window carries the loss.
    expect(down.window.lossPct).toBe(0);
    expect(down.fullSize!.window.lossPct).toBeGreaterThan(0);
    // The path MTU probe's figure shows once it has one, without another state change.
    mtuToSet = 1354;
    expect(pings.checks(T0 + 8 * 500)[0]!.why).toBe(
      '1450-byte packets do not cross; set the overlay MTU to 1354: xnet-tui launch --mtu 1354',
    );
    const events = pings.events();
    expect(events.at(-1)).toMatchObject({ from: 'up', to: 'down' });
    expect(events.at(-1)!.detail).toMatch(/^1450-byte packets do not cross/);
    for (let i = 8; i < 11; i++) {
      pings.feed('peers', line(i, 0.1));
      pings.feed('peers', line(i, 0.2), true);
    }
    expect(pings.checks(T0 + 11 * 500)[0]).toMatchObject({ state: 'up', why: null });
    expect(pings.fullSizeDown(T0 + 11 * 500)).toEqual([]);
    pings.close();
  });

  it('a peer that answers nothing is down for lost probes, not for its MTU', () => {
    const pings = new PingChecks(() => undefined);
    pings.sync([def]);
    for (let i = 0; i < 4; i++) {
      pings.feed('peers', line(i, null));
      pings.feed('peers', line(i, null), true);
    }
    const c = pings.checks(T0 + 4 * 500)[0]!;
    expect(c.state).toBe('down');
    expect(c.why).toBeNull();
    expect(pings.events().at(-1)!.detail).toMatch(/^no answer to the last probes/);
    pings.close();
  });

  it('ignore lines of other sources and targets, and full-size lines for checks without them', () => {
    const pings = new PingChecks(() => undefined);
    const small: CheckDef = { ...def, id: 'a-host-198.18.0.3', target: 'fe80::3%xnet', peer: '198.18.0.3' };
    delete small.full;
    pings.sync([def, small]);
    pings.feed('host', line(0, 0.1));
    pings.feed('peers', { ...line(0, 0.1), target: 'fe80::9%xnet' });
    pings.feed('peers', { ...line(0, null), target: small.target }, true);
    expect(pings.checks(T0).map((c) => c.state)).toEqual(['pending', 'pending']);
    // A check synced again keeps being fed, and one gone is not.
    pings.sync([small]);
    pings.feed('peers', { ...line(1, 0.1), target: small.target });
    pings.feed('peers', line(1, 0.1));
    expect(pings.states(T0 + 500)).toMatchObject([{ id: small.id, state: 'up' }]);
    pings.close();
  });
});
