import { readlinkSync, statSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../src/api/index.js';
import type { LabHost } from '../../src/lab/layout.js';
import { labSh, xnet, xnetJson } from '../helpers/cli.js';
import { nsh, osh, overlayOf, router } from '../helpers/lab.js';
import { labMesh } from '../helpers/mesh.js';
import { agentProcesses } from '../helpers/probes.js';
import { tmuxTui } from '../helpers/tmux.js';
import { eventually } from '../helpers/wait.js';

// Three lab hosts in a mesh. The automatic data-plane checks: one per peer, from the host, small and full-size,
// two fping processes per host however many containers are attached; an MTU fault turns the check red with
// the MTU to set, in --json and in the TUI.
const mesh = labMesh({
  hosts: 3,
  containers: [
    { host: 'h1', name: 'c1', cidr: '172.25.11.1/24' },
    { host: 'h1', name: 'c2', cidr: '172.25.11.2/24' },
  ],
});
const [h1, h2, h3] = mesh.hosts;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Pings = Result<'pings'> & { pmtu: Result<'pmtu'> };
const pings = () => xnetJson<Pings>(['--lab', 'h1', 'status', 'pings']);
const checkOf = async (peer: string) => (await pings()).checks.find((c) => c.peer === peer);
const AUTO2 = `a-host-${h2.address}`;
const AUTO3 = `a-host-${h3.address}`;

const fpings = () => agentProcesses(h1).filter((p) => /(^|\/)fping\s/.test(p.args));
/**
 * Entries of the IPv6 neighbour table a host's probes can grow, in its namespace and its overlay namespace:
 * the address table's static entries (PERMANENT, one per remote container) are left out, because the kernel
 * keeps them outside the garbage-collected count that overflowed (gc_thresh3) and they grow with the mesh's
 * attachments by design, not with probes.
 */
const neighCount = (h: LabHost) =>
  [nsh(h, ['ip', '-6', 'neigh', 'show']), osh(h, ['ip', '-6', 'neigh', 'show'])]
    .join('\n')
    .split('\n')
    .filter((l) => l && !l.includes('PERMANENT')).length;

// The real UI in tmux on lab h1, to see what an operator sees.
const ui = tmuxTui('xnet-peerprobe', { capture: ['-e'] });
const { tmux, screen } = ui;

describe('automatic data-plane checks per peer, on three lab hosts', () => {
  beforeAll(() => mesh.up(), 300_000);

  afterAll(async () => {
    // The TUI test ends its session; a server left by a failed run goes here (none: nothing to do).
    ui.kill();
    for (const h of [h2, h3]) nsh(h, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
    await mesh.down();
  });

  it('probes each peer from the host with one small and one full-size fping, and nothing else', async () => {
    const seen = await eventually(
      'both automatic checks up',
      () => pings(),
      (x) => [AUTO2, AUTO3].every((id) => x.checks.find((c) => c.id === id)?.state === 'up'),
      20_000,
    );
    const autos = seen.value.checks.filter((c) => c.kind === 'auto');
    // One per peer, not one per attached container (c1, c2) and peer.
    expect(autos.map((c) => c.label).sort()).toEqual([
      `host -> peer three (${h3.address})`,
      `host -> peer two (${h2.address})`,
    ]);
    for (const c of autos) {
      expect(c.from).toBeNull();
      expect(c.target).toMatch(/^fe80::.*%xnet$/);
      expect(c.fullSize).toMatchObject({ packetBytes: 1450, state: 'up' });
    }
    // For 3 s, sampled: the same two fping processes, nothing else that probes (the old -C 1 one-shots).
    const pids = new Set<number>();
    for (let i = 0; i < 15; i++) {
      const now = fpings();
      expect(now.map((p) => p.args).join('\n')).not.toMatch(/fping .*-C/);
      expect(now).toHaveLength(2);
      for (const p of now) pids.add(p.pid);
      await sleep(200);
    }
    expect(pids.size).toBe(2);
    const args = fpings()
      .map((p) => p.args)
      .sort();
    expect(args[0]).toMatch(/^fping -l .*-I xnet -b 1402 -M fe80::\S+%xnet fe80::\S+%xnet$/);
    expect(args[1]).toMatch(/^fping -l .*-I xnet fe80::\S+%xnet fe80::\S+%xnet$/);
    // The Peers pane's data-plane state comes from the same loops.
    const peers = (await router('h1')).peers.filter((p) => !p.self);
    expect(peers.map((p) => p.dataPlane.state)).toEqual(['reachable', 'reachable']);
    expect(peers.every((p) => p.dataPlane.checkedAt !== null)).toBe(true);
  }, 60_000);

  it("turns a peer's check down within 10 s of its underlay MTU going to 1400, with the MTU to set", async () => {
    await eventually(
      'check up',
      () => checkOf(h2.address),
      (c) => c?.state === 'up',
      20_000,
    );
    await eventually(
      'path MTU ok',
      () => pings(),
      (x) => x.pmtu.peers.length === 2 && x.pmtu.peers.every((p) => p.state === 'ok'),
      25_000,
    );
    nsh(h2, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    try {
      const down = await eventually(
        'check down with the number to set',
        () => checkOf(h2.address),
        (c) => c?.state === 'down' && /set the overlay MTU to \d+/.test(c.why ?? ''),
        10_000,
      );
      console.log(`MTU 1400 on h2 -> check down with the number to set after ${down.ms} ms`);
      const c = down.value!;
      const m =
        /^1450-byte packets do not cross; set the overlay MTU to (\d+): xnet-tui launch --mtu (\d+)$/.exec(
          c.why!,
        );
      expect(m, c.why!).not.toBeNull();
      // 1400 - 50 = 1350, plus up to 4: a veth accepts frames 4 bytes over its MTU.
      expect(Number(m![1])).toBeGreaterThanOrEqual(1350);
      expect(Number(m![1])).toBeLessThanOrEqual(1354);
      expect(m![2]).toBe(m![1]);
      expect(c.fullSize).toMatchObject({ state: 'down', mtuToSet: Number(m![1]) });
      // The small probes still cross: this is an MTU fault, not an unreachable peer.
      expect(c.window.received).toBeGreaterThan(0);
      expect((await checkOf(h3.address))?.state).toBe('up');
      const peer2 = (await router('h1')).peers.find((p) => p.address === h2.address)!;
      expect(peer2.dataPlane.state).toBe('mtu-too-small');
      const human = await xnet(['--lab', 'h1', 'status', 'pings']);
      expect(human.stdout).toMatch(
        new RegExp(`host -> peer two \\(198\\.18\\.0\\.2\\)\\s+down\\s.*set the overlay MTU to ${m![1]}`),
      );
    } finally {
      nsh(h2, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
    }
    const up = await eventually(
      'check up again',
      () => checkOf(h2.address),
      (c) => c?.state === 'up',
      10_000,
    );
    expect(up.value!.why).toBeNull();
    const events = (await pings()).events.filter((e) => e.checkId === AUTO2).map((e) => e.to);
    expect(events.slice(-2)).toEqual(['down', 'up']);
  }, 120_000);

  it('the TUI shows that check red with the MTU to set (tmux, 80x24)', async () => {
    ui.open('h1', { cols: 80, rows: 24 }, ['TERM=xterm-256color']);
    const row = () =>
      screen()
        .split('\n')
        .find((l) => /host → peer two/.test(stripVTControlCharacters(l))) ?? '';
    await eventually(
      'row up',
      async () => stripVTControlCharacters(row()),
      (l) => /\bup\b/.test(l),
      20_000,
    );
    nsh(h2, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    try {
      const seen = await eventually(
        'row down with the MTU',
        async () => row(),
        (l) => /down\s+mtu 13\d\d/.test(stripVTControlCharacters(l)),
        15_000,
      );
      console.log(`TUI row after ${seen.ms} ms: ${stripVTControlCharacters(seen.value)}`);
      const n = /mtu (13\d\d)/.exec(stripVTControlCharacters(seen.value))![1]!;
      expect((await checkOf(h2.address))?.fullSize?.mtuToSet).toBe(Number(n));
      // Red: the state word is drawn in the theme's error colour (SGR 31), as tmux keeps it.
      // eslint-disable-next-line no-control-regex
      expect(seen.value).toMatch(/\x1b\[31m[^\x1b]*down/);
    } finally {
      nsh(h2, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
    }
    await eventually(
      'row up again',
      async () => stripVTControlCharacters(row()),
      (l) => /\bup\b/.test(l),
      15_000,
    );
    tmux('kill-session', '-t', 'ui');
  }, 90_000);

  it('keeps two fping processes and a small IPv6 neighbour table with 50 containers attached', async () => {
    const N = Number(process.env.XNET_PEERPROBE_CONTAINERS ?? 50);
    const before = { fping: fpings().length, neigh1: neighCount(h1), neigh2: neighCount(h2) };
    labSh('h1', [
      'sh',
      '-c',
      `for i in $(seq 1 ${N}); do docker run -d --name s$i xnet/busybox sleep 1d >/dev/null || exit 1; done`,
    ]);
    const counts: number[] = [];
    for (let i = 1; i <= N; i++) {
      const r = await xnet(['--lab', 'h1', 'attach', `172.25.12.${i}/16`, `s${i}`, '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      if (i % 10 === 0) counts.push(fpings().length);
    }
    const ps = await xnetJson<Result<'ps'>>(['--lab', 'h1', 'ps']);
    expect(ps.attachments.filter((a) => a.state === 'attached').length).toBe(N + 2);
    // Let every new veth and probe settle, then look again.
    await sleep(5_000);
    const x = await pings();
    const after = { fping: fpings().length, neigh1: neighCount(h1), neigh2: neighCount(h2) };
    console.log(
      `${N + 2} containers attached on h1: fping processes ${before.fping} before, ${counts.join(
        ', ',
      )} every 10 attaches, ${after.fping} after; ip -6 neigh on h1 ${before.neigh1} -> ${after.neigh1}, on h2 ${before.neigh2} -> ${after.neigh2}; automatic checks ${x.checks.filter((c) => c.kind === 'auto').length}`,
    );
    expect(counts.every((c) => c === 2)).toBe(true);
    expect(after.fping).toBe(2);
    expect(x.checks.filter((c) => c.kind === 'auto')).toHaveLength(2);
    expect(x.checks.filter((c) => c.kind === 'auto').every((c) => c.state === 'up')).toBe(true);
    // Neighbours: the peers' bridges, not one per container per peer.
    expect(after.neigh1).toBeLessThanOrEqual(10);
    expect(after.neigh2).toBeLessThanOrEqual(10);
    // Both run in the host's overlay namespace (the probe point, beside the bridge): none in a container's.
    const overlayNs = `net:[${statSync(overlayOf(h1)).ino}]`;
    expect(fpings().map((p) => readlinkSync(`/proc/${p.pid}/ns/net`))).toEqual([overlayNs, overlayNs]);
    const peers = (await router('h1')).peers.filter((p) => !p.self);
    expect(peers.map((p) => p.dataPlane.state)).toEqual(['reachable', 'reachable']);
  }, 600_000);
});
