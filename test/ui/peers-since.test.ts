import { createElement } from 'react';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PeersPane } from '../../src/ui/components/PeersPane.js';
import { sortPeers } from '../../src/router/peer-summary.js';
import { defaultKeyBindings } from '../../src/ui/keys/keyBindings.js';
import { defaultTheme } from '../../src/ui/theme/tokens.js';
import { renderAt } from './frame.js';
import { router } from './fixtures.js';
import { initialState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';

// The Peers pane's SINCE column: ages by the agent's clocks, where the pane has room for them.
const now = Date.parse('2026-11-30T14:05:00Z');
const stamped = {
  ...router,
  peers: router.peers.map((p) => ({
    ...p,
    gossipSince: now - 3 * 3_600_000,
    dataPlane: { ...p.dataPlane, since: now - (p.nickname === 'two' ? 12_000 : 4 * 60_000) },
  })),
};

function pane(width: number): string[] {
  const r = renderAt(
    createElement(PeersPane, {
      router: { available: true, data: stamped },
      pmtu: [],
      rows: sortPeers(stamped.peers),
      selected: 0,
      focused: false,
      width,
      height: 8,
      theme: defaultTheme,
      bindings: defaultKeyBindings,
      now,
    }),
    width,
  );
  const lines = stripVTControlCharacters(r.lastFrame() ?? '').split('\n');
  r.unmount();
  return lines;
}

describe('the Peers pane: SINCE where it fits', () => {
  it('wide: a column of its own, the later of the two clocks', () => {
    const lines = pane(120);
    expect(lines[0]).toMatch(/^NICKNAME\s+ADDRESS\s+GOSSIP\s+DATA PLANE\s+SINCE\s+WHY/);
    expect(lines.find((l) => l.startsWith('two '))).toMatch(/reachable \S+ ms\s+12s/);
    expect(lines.find((l) => l.startsWith('one '))).toMatch(/this host\s+4m$/);
  });

  it('narrow with room: after gossip/data plane', () => {
    const lines = pane(50);
    expect(lines[0]).toMatch(/^NICK\s+ADDRESS\s+GOSSIP\/DATA PLANE\s+SINCE$/);
    expect(lines.find((l) => l.startsWith('two '))).toMatch(/alive\/reachable\s+12s$/);
  });

  it('80x24 (a 39-column pane): dropped first, the states keep their room', () => {
    const lines = pane(39);
    expect(lines[0]).not.toMatch(/SINCE/);
    expect(lines.join('\n')).not.toMatch(/\b(12s|4m)\b/);
    expect(lines.find((l) => l.startsWith('three '))).toMatch(/alive\/mtu-too-small$/);
  });
});

describe("the router's read time in the UI state", () => {
  it('moves with each read while peers carry a since, and stays put without them', () => {
    const s0 = initialState('h1', '/run/x.sock', now - 60_000);
    const s1 = reducer(s0, { type: 'router', router: { available: true, data: stamped }, at: now });
    expect(s1.routerAt).toBe(now);
    const s2 = reducer(s1, { type: 'router', router: { available: true, data: stamped }, at: now + 1_000 });
    expect(s2.routerAt).toBe(now + 1_000);
    const plain = reducer(s0, { type: 'router', router: { available: true, data: router }, at: now });
    expect(plain.routerAt).toBe(s0.routerAt);
    const again = reducer(plain, {
      type: 'router',
      router: { available: true, data: router },
      at: now + 1_000,
    });
    expect(again.routerAt).toBe(s0.routerAt);
  });
});
