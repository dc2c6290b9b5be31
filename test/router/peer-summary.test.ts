import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { peerMatches, peerSummary, sortPeers, summaryLine } from '../../src/router/peer-summary.js';
import { peersTable } from '../../src/cli/router-text.js';
import { registerStatus } from '../../src/cli/status.js';
import type { XnetError } from '../../src/errors.js';
import { router } from '../ui/fixtures.js';
import { router50 } from '../ui/fixtures-mesh50.js';

describe('the peers at a glance (50 peers)', () => {
  it("says how many are alive, reachable, and what the rest are, in the issue's words", () => {
    expect(summaryLine(peerSummary(router50.peers))).toBe(
      '48/49 alive, 46 reachable, 2 unreachable, 1 mtu-too-small',
    );
    expect(summaryLine(peerSummary(router50.peers), true)).toBe('48/49 alive, 46 reachable');
    // The issue's own example: one peer whose full-size frames do not cross.
    const one = router50.peers.map((p) =>
      p.self || p.dataPlane.state === 'mtu-too-small'
        ? p
        : { ...p, gossip: 'alive' as const, dataPlane: { ...p.dataPlane, state: 'reachable' as const } },
    );
    expect(summaryLine(peerSummary(one))).toBe('49/49 alive, 48 reachable, 1 mtu-too-small');
    expect(summaryLine(peerSummary(router.peers.filter((p) => p.self)))).toBe('no peers');
  });

  it("lists this host, then trouble, then the rest by name (h2 before h10), whatever the agent's order", () => {
    const names = sortPeers(router50.peers).map((p) => p.nickname);
    expect(names.slice(0, 7)).toEqual(['h1', 'h17', 'h33', 'h48', 'h2', 'h3', 'h4']);
    expect(names.indexOf('h9')).toBeLessThan(names.indexOf('h10'));
    expect(names).toHaveLength(50);
  });

  it('filters on name, nickname, address and either state, case-blind', () => {
    const hit = (f: string): string[] =>
      router50.peers
        .filter((p) => peerMatches(p, f))
        .map((p) => p.nickname)
        .sort();
    expect(hit('UNREACH')).toEqual(['h33', 'h48']);
    expect(hit('failed')).toEqual(['h48']);
    expect(hit('mtu')).toEqual(['h17']);
    expect(hit('198.18.0.49')).toEqual(['h49']);
    expect(hit('')).toHaveLength(50);
  });

  it('status peers prints the summary first, trouble on top, and what a filter left', () => {
    const lines = peersTable(router50).split('\n');
    expect(lines[0]).toBe('peers: 48/49 alive, 46 reachable, 2 unreachable, 1 mtu-too-small');
    expect(lines[1]).toMatch(/^NAME\s+NICKNAME\s+ADDRESS\s+GOSSIP\s+DATA PLANE\s+RTT\s+SINCE\s+WHY/);
    expect(lines.slice(2, 6).map((l) => l.split(/\s+/)[0])).toEqual([
      '198.18.0.1',
      '198.18.0.17',
      '198.18.0.33',
      '198.18.0.48',
    ]);
    expect(lines).toHaveLength(52);
    const filtered = peersTable(router50, 'unreach').split('\n');
    expect(filtered[0]).toBe(
      'peers: 48/49 alive, 46 reachable, 2 unreachable, 1 mtu-too-small (2 shown, filter "unreach")',
    );
    expect(filtered).toHaveLength(4);
    expect(peersTable(router50, 'nothing-like-this').split('\n')[1]).toBe(
      'no peer matches "nothing-like-this"',
    );
  });

  it("SINCE: how long each peer has been as it is, by the agent's clocks; - from an agent without them", () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    const stamped = {
      ...router50,
      peers: router50.peers.map((p) => ({
        ...p,
        gossipSince: now - 3 * 3_600_000,
        // h2 changed 8 s ago, h16 64 s ago, the rest 5 minutes ago.
        dataPlane: { ...p.dataPlane, since: now - ({ h2: 8_000, h16: 64_000 }[p.nickname] ?? 300_000) },
      })),
    };
    const rows = peersTable(stamped, '', now).split('\n').slice(2);
    const since = (name: string) => rows.find((l) => l.startsWith(`${name} `))!.split(/\s{2,}/)[6];
    // The data plane's clock is the later of the two: it is the age shown.
    expect([since('198.18.0.2'), since('198.18.0.16'), since('198.18.0.3')]).toEqual(['8s', '1m', '5m']);
    expect(peersTable(router50, '', now).split('\n')[2]).toMatch(/\s-\s/);
  });

  it('--filter on another view is bad input (exit 2), the field named, before any agent is asked', async () => {
    const program = new Command().exitOverride().option('--socket <path>').option('--no-start');
    registerStatus(program);
    const run = program.parseAsync(
      ['--socket', '/nonexistent/agent.sock', '--no-start', 'status', 'rates', '--filter', 'h4'],
      { from: 'user' },
    );
    await expect(run).rejects.toMatchObject({ kind: 'bad_input', field: 'filter' });
    expect(((await run.catch((e: unknown) => e)) as XnetError).exitCode).toBe(2);
  });
});
