import { describe, expect, it } from 'vitest';
import { sinceConvergence, type SincePeer } from '../../bench/mesh-since.mjs';

const self: SincePeer = {
  self: true,
  gossip: 'alive',
  gossipSince: 0,
  dataPlane: { state: 'reachable', since: 0 },
};
const up = (gossipSince: number, since: number): SincePeer => ({
  self: false,
  gossip: 'alive',
  gossipSince,
  dataPlane: { state: 'reachable', since },
});
const connect = 10_000;

describe("sinceConvergence: all reachable by the agents' state", () => {
  it('is the latest since over hosts and peers, from the last connect', () => {
    const views = [
      [self, up(10_300, 10_800), up(10_200, 10_400)],
      [up(10_100, 10_300), self, up(10_500, 11_900)],
      [up(9_800, 10_100), up(9_800, 10_200), self],
    ];
    expect(sinceConvergence(views, 3, connect)).toBe(1_900);
  });

  it('a peer lost and got back counts from its return, even when its gossip stayed alive', () => {
    // h1 saw h3 reachable at 10.4 s, lost it, and had it back at 14.2 s: its since moved there.
    const views = [
      [self, up(10_100, 10_300), up(10_200, 14_200)],
      [up(10_100, 10_300), self, up(10_200, 10_400)],
    ];
    expect(sinceConvergence(views, 3, connect)).toBe(NaN);
    views.push([up(10_100, 10_300), up(10_100, 10_300), self]);
    expect(sinceConvergence(views, 3, connect)).toBe(4_200);
  });

  it('is NaN while a host misses a peer or sees one unreachable, or an agent gives no since', () => {
    const all = (p: SincePeer) => [
      [self, up(10_100, 10_300), p],
      [up(10_100, 10_300), self, up(10_100, 10_300)],
      [up(10_100, 10_300), up(10_100, 10_300), self],
    ];
    expect(sinceConvergence(all(up(10_100, 10_600)), 3, connect)).toBe(600);
    const unreachable = { ...up(10_100, 10_500), dataPlane: { state: 'unreachable', since: 10_500 } };
    expect(sinceConvergence(all(unreachable), 3, connect)).toBe(NaN);
    expect(sinceConvergence(all({ ...up(10_100, 10_300), gossip: 'failed' }), 3, connect)).toBe(NaN);
    expect(sinceConvergence(all(up(10_100, 10_600)).slice(0, 2), 3, connect)).toBe(NaN);
    const [, two, three] = all(up(10_100, 10_600));
    expect(sinceConvergence([[self, up(10_100, 10_300)], two, three], 3, connect)).toBe(NaN);
    expect(sinceConvergence([undefined, two, three], 3, connect)).toBe(NaN);
    const older = { self: false, gossip: 'alive', dataPlane: { state: 'reachable' } };
    expect(sinceConvergence(all(older), 3, connect)).toBe(NaN);
  });

  it('is 0 when every host saw it before the last connect', () => {
    expect(
      sinceConvergence(
        [
          [self, up(9_000, 9_500)],
          [up(9_000, 9_400), self],
        ],
        2,
        connect,
      ),
    ).toBe(0);
  });
});
