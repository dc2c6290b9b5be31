import { describe, expect, it } from 'vitest';
import { PeerClocks, StateSince, peerSince } from '../../src/router/peer-since.js';
import type { PeerStatus } from '../../src/router/driver.js';

const peer = (
  name: string,
  gossip: PeerStatus['gossip'],
  state: PeerStatus['dataPlane']['state'],
): PeerStatus => ({
  name,
  nickname: name,
  address: name,
  gossip,
  dataPlane: { state, rttMs: null, detail: null, checkedAt: null },
  self: false,
});

describe('StateSince: since when a key is in its state', () => {
  it('a change moves it to the change, the same state leaves it', () => {
    const s = new StateSince<string>();
    expect(s.observe('h2', 'unknown', 1_000)).toBe(1_000);
    expect(s.observe('h2', 'unknown', 2_000)).toBe(1_000);
    expect(s.observe('h2', 'reachable', 3_000)).toBe(3_000);
    expect(s.observe('h2', 'reachable', 9_000)).toBe(3_000);
    expect(s.state('h2')).toBe('reachable');
    expect(s.state('h3')).toBeUndefined();
  });

  it('a flap (reachable, lost, back) counts from the last change', () => {
    const s = new StateSince<string>();
    s.observe('h2', 'reachable', 1_000);
    s.observe('h2', 'unreachable', 4_000);
    expect(s.observe('h2', 'reachable', 6_500)).toBe(6_500);
    expect(s.observe('h2', 'reachable', 8_000)).toBe(6_500);
  });

  it('never dates a change before the state it replaces began (a line read late)', () => {
    const s = new StateSince<string>();
    s.observe('h2', 'unknown', 5_000);
    expect(s.observe('h2', 'reachable', 4_900)).toBe(5_000);
  });

  it('keys are apart, and one forgotten starts anew', () => {
    const s = new StateSince<string>();
    s.observe('h2', 'alive', 1_000);
    s.observe('h3', 'alive', 2_000);
    s.keep(['h3']);
    expect(s.observe('h2', 'alive', 7_000)).toBe(7_000);
    expect(s.observe('h3', 'alive', 7_000)).toBe(2_000);
    s.clear();
    expect(s.observe('h3', 'alive', 8_000)).toBe(8_000);
  });
});

describe('PeerClocks: gossip and data plane apart', () => {
  it('tells the data-plane state a peer was last stamped in', () => {
    const c = new PeerClocks();
    expect(c.dataPlaneState('h2')).toBeUndefined();
    c.stamp([peer('h2', 'alive', 'unknown')], 1_000);
    expect(c.dataPlaneState('h2')).toBe('unknown');
    c.stamp([peer('h2', 'alive', 'reachable')], 2_000);
    expect(c.dataPlaneState('h2')).toBe('reachable');
  });

  it('stamps each peer with both clocks, each moved by its own state only', () => {
    const c = new PeerClocks();
    c.stamp([peer('h2', 'alive', 'unknown')], 1_000);
    const [a] = c.stamp([peer('h2', 'alive', 'reachable')], 1_400);
    expect(a!.gossipSince).toBe(1_000);
    expect(a!.dataPlane.since).toBe(1_400);
    // Gossip says failed: the data plane becomes unknown at the same read.
    const [b] = c.stamp([peer('h2', 'failed', 'unknown')], 5_000);
    expect([b!.gossipSince, b!.dataPlane.since]).toEqual([5_000, 5_000]);
    const [d] = c.stamp([peer('h2', 'alive', 'reachable')], 6_000);
    expect([d!.gossipSince, d!.dataPlane.since]).toEqual([6_000, 6_000]);
    expect(peerSince(d!)).toBe(6_000);
  });

  it("a peer's age is the later clock, and absent where the agent gave none (an older one)", () => {
    const p = peer('h2', 'alive', 'reachable');
    expect(peerSince(p)).toBeUndefined();
    expect(peerSince({ ...p, gossipSince: 1_000 })).toBe(1_000);
    expect(peerSince({ ...p, gossipSince: 1_000, dataPlane: { ...p.dataPlane, since: 3_000 } })).toBe(3_000);
  });
});
