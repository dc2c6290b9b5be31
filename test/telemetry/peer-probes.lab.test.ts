import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirname, join } from 'node:path';
import { CLI_MAIN } from '../../src/agent/client.js';
import { NETNS_PREFIX } from '../../src/lab/layout.js';
import { useSpawner } from '../../src/net/spawner.js';
import { FOLD_ANSWERED, PeerProbes, type ProbePlan } from '../../src/telemetry/peer-probes.js';
import { alive, eventually, until } from '../helpers/wait.js';

// PeerProbes' lanes with real fping processes, in a namespace of its own (needs root, no lab): the peers are
// addresses on its lo, so every probe is answered at once, but one address whose echo requests are dropped
// (an iptables rule in that namespace), which never answers. Past 10 peers a join goes to the fast lane; the
// lane folds into the main loops when a join finds FOLD_ANSWERED answered peers in it. The same with the loops
// started by xnet-spawner (as built) and by Node's spawn (where it was not built).
const SPAWNER = join(dirname(CLI_MAIN), '..', 'net', 'xnet-spawner');
const ns = `${NETNS_PREFIX}peerprobes-${process.pid}`;
const netns = `/run/netns/${ns}`;
const ip = (...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
const peer = (i: number) => `10.99.0.${i}`;
const SILENT = '10.99.0.200';
const probes = new PeerProbes(() => undefined);
const plan = (targets: string[]): ProbePlan => ({ point: { netns, dev: 'lo' }, mtu: 1500, targets });
const argvOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
/** What each running fping probes: its targets, by pid (the main loops first, then the lane). */
const loops = () =>
  probes.pids().map((pid) => ({ pid, targets: argvOf(pid).filter((a) => /^10\.99\./.test(a)) }));
/**
 * The running loops once all `n` have said their PID (a spawner's start says it a moment later) and each is fping
 * (through setpriv and nsenter, Node's spawn says the PID before the last exec).
 */
const started = async (n: number) => {
  await until(
    `${n} loops started`,
    () => probes.pids().length === n && probes.pids().every((pid) => argvOf(pid)[0] === 'fping'),
    5_000,
  );
  return loops();
};
const answered = (t: string) =>
  eventually(
    `an answer from ${t}`,
    () => probes.reading(t),
    (r) => r.rttMs !== null,
    10_000,
  );

describe.each([
  ['xnet-spawner', SPAWNER],
  ["Node's spawn", null],
])('peer probes: the fast lane and its fold, with real fping started by %s', (_, spawner) => {
  beforeAll(() => {
    useSpawner(spawner);
    execFileSync('ip', ['netns', 'add', ns]);
    ip('link', 'set', 'lo', 'up');
    for (let i = 1; i <= 30; i++) ip('addr', 'add', `${peer(i)}/32`, 'dev', 'lo');
    ip('addr', 'add', `${SILENT}/32`, 'dev', 'lo');
    execFileSync('ip', [
      'netns',
      'exec',
      ns,
      'iptables',
      '-w',
      '5',
      '-A',
      'INPUT',
      '-d',
      SILENT,
      '-p',
      'icmp',
      '-j',
      'DROP',
    ]);
  });

  afterAll(async () => {
    const pids = probes.pids();
    probes.close();
    await until('the fping loops gone', () => !pids.some(alive), 5_000);
    execFileSync('ip', ['netns', 'del', ns]);
    useSpawner(null);
  });

  it('folds the lane at a join once it holds enough answered peers, and keeps probing the silent one fast', async () => {
    const targets = Array.from({ length: 12 }, (_, i) => peer(i + 1));
    probes.plan(plan(targets));
    const main = await started(2);
    expect(main.map((l) => l.targets.length)).toEqual([12, 12]);
    for (const t of targets) await answered(t);

    // A peer that never answers joins: the lane takes it, the main loops run on.
    targets.push(SILENT);
    probes.plan(plan([...targets]));
    expect((await started(3)).slice(0, 2)).toEqual(main);
    expect(loops()[2]?.targets).toEqual([SILENT]);

    // Joins one by one, each answered from the lane; the main loops are not restarted.
    for (let i = 13; i < 13 + FOLD_ANSWERED; i++) {
      targets.push(peer(i));
      probes.plan(plan([...targets]));
      await answered(peer(i));
      expect(loops().slice(0, 2)).toEqual(main);
      expect(loops()[2]?.targets).toHaveLength(i - 11);
    }

    // The next join finds FOLD_ANSWERED answered peers in the lane: the main loops take the whole plan, the new
    // peer too, and the lane goes on with the one that has not answered.
    const next = peer(13 + FOLD_ANSWERED);
    targets.push(next);
    probes.plan(plan([...targets]));
    const folded = await started(3);
    expect(folded.slice(0, 2).map((l) => l.pid)).not.toContain(main[0]!.pid);
    expect(folded.slice(0, 2).map((l) => l.pid)).not.toContain(main[1]!.pid);
    expect(folded.slice(0, 2).map((l) => [...l.targets].sort())).toEqual([
      [...targets].sort(),
      [...targets].sort(),
    ]);
    expect(folded[2]!.targets).toEqual([SILENT]);
    await answered(next);
    expect(probes.reading(SILENT).rttMs).toBeNull();
    // Every answered peer still has current probes from the restarted main loops.
    for (const t of targets.filter((t) => t !== SILENT))
      await eventually(
        `${t} up`,
        () => probes.reading(t).small,
        (s) => s === 'up',
        10_000,
      );
  }, 60_000);
});
