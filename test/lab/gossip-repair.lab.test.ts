import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labHost } from '../../src/lab/layout.js';
import { xnet, xnetJson } from '../helpers/cli.js';
import { agentCall, labUp, nsh } from '../helpers/lab.js';
import { eventually } from '../helpers/wait.js';

// Four lab hosts with an agent and serf each (no dockerd): one of them (h3) loses every gossip packet sent to
// it, as a host at load 100 lost every copy of a join. Serf alone repairs that by its push/pull, one random
// member every 30 s; the agents' own repair (src/router/serf/repair.ts), rounds 2 s after the change, within seconds.
const hosts = [1, 2, 3, 4].map(labHost);
const [h1, h2, h3, h4] = hosts as [
  (typeof hosts)[0],
  (typeof hosts)[0],
  (typeof hosts)[0],
  (typeof hosts)[0],
];
// Serf's gossip and probes are UDP to 7946; its push/pull and fallback pings are TCP to the same port.
const DEAF = ['INPUT', '-p', 'udp', '--dport', '7946', '-j', 'DROP'];

const gossipOf = async (on: typeof h1, of: typeof h1): Promise<string | undefined> =>
  (await agentCall(on, 'router')).peers.find((p) => p.address === of.address)?.gossip;

describe('gossip repair: a host that lost a join learns it from the others', () => {
  beforeAll(async () => {
    await xnet(['lab', 'down']);
    await labUp({ hosts: 4, docker: false, standby: false });
    for (const h of [h1, h2, h3])
      await xnetJson(['--lab', h.name, 'launch', ...(h === h1 ? [] : [h1.address])]);
    await eventually(
      'h3 sees h1 and h2 alive',
      async () => [await gossipOf(h3, h1), await gossipOf(h3, h2)],
      (g) => g.every((s) => s === 'alive'),
      60_000,
      250,
    );
  });

  afterAll(async () => {
    await xnet(['lab', 'down']);
  });

  it('h3, deaf to gossip, sees h4 alive within seconds of its join, and the others log their repairs', async () => {
    nsh(h3, ['iptables', '-I', ...DEAF]);
    try {
      await xnetJson(['--lab', h4.name, 'launch', h1.address]);
      // The others see h4 by gossip; h3 can only learn it by a push/pull (TCP).
      await eventually(
        'h1 sees h4 alive',
        () => gossipOf(h1, h4),
        (g) => g === 'alive',
        60_000,
        250,
      );
      const seen = Date.now();
      await eventually(
        'h3 sees h4 alive',
        () => gossipOf(h3, h4),
        (g) => g === 'alive',
        60_000,
        250,
      );
      const ms = Date.now() - seen;
      // Serf alone: its next push/pull, up to 30 s away (one member every 30 s each, a third of them to h3).
      expect(ms, `h3 saw h4 ${ms} ms after h1 did`).toBeLessThan(12_000);
      const drops = nsh(h3, ['iptables', '-L', 'INPUT', '-v', '-n', '-x']);
      const dropped = Number(/^\s*(\d+)\s+\d+\s+DROP\s+(?:udp|17).*dpt:7946/m.exec(drops)?.[1] ?? 0);
      expect(dropped, drops).toBeGreaterThan(0);
    } finally {
      nsh(h3, ['iptables', '-D', ...DEAF]);
    }
    // One line per change, once its rounds are done (from 2 s after the last change).
    await eventually(
      'a repair line in the agents logs',
      () => [h1, h2, h4].map((h) => readFileSync(h.agentLog, 'utf8')).join('\n'),
      (log) => /gossip repair: [1-9]\d* push\/pulls? after members changed/.test(log),
      30_000,
      500,
    );
    // The watch that saw h4 on h1 follows serf's stats (a real serf's answer parsed into a signature, logged
    // once), reading the members only when it moves, and the membership still reached all four.
    const h1Log = readFileSync(h1.agentLog, 'utf8');
    expect(h1Log).toMatch(
      /membership watch: serf's stats say \d+\/0\/0\/\d+ \(members\/failed\/left\/member clock\)/,
    );
    expect(h1Log).toMatch(/membership: 4\/4 alive/);
    // serf runs Go's scheduler on one P (the test run sets no GOMAXPROCS of its own).
    const { pid } = JSON.parse(readFileSync(join(h1.agentStateDir, 'serf.pid'), 'utf8')) as { pid: number };
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`GOMAXPROCS=${process.env.GOMAXPROCS ?? '1'}`);
  });
});
