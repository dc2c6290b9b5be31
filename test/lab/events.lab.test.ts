import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthEvent } from '../../src/api/events.js';
import { CLI_MAIN } from '../../src/agent/client.js';
import type { RouterStatus } from '../../src/router/driver.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { nsh } from '../helpers/lab.js';
import { labMesh } from '../helpers/mesh.js';
import { eventually } from '../helpers/wait.js';

// Issue 15.5 on two real lab hosts: the agent turns a blocked tunnel and a small underlay MTU into events
// naming the peer, serves them to `events --json` and `--follow`, and keeps them across its own restart.
const mesh = labMesh({
  hosts: 2,
  containers: [
    { host: 'h1', name: 'c1', cidr: '10.32.0.11/12' },
    { host: 'h2', name: 'c2', cidr: '10.32.0.12/12' },
  ],
  reachableWithinMs: 15_000,
});
const [h1, h2] = mesh.hosts;

type Events = { events: HealthEvent[]; latest: number };
const events = (host: string, since = 0) =>
  xnetJson<Events>(['--lab', host, 'events', '--since', String(since)]);

const reachable = async () =>
  (await xnetJson<{ router: RouterStatus }>(['--lab', 'h1', 'status'])).router.peers.find(
    (p) => p.address === '198.18.0.2',
  );

describe('health events on two lab hosts', () => {
  beforeAll(() => mesh.up(), 180_000);

  afterAll(() => mesh.down(), 120_000);

  it('names a peer whose UDP 4789 is dropped within 5 s, in events --json and --follow, and its return', async () => {
    const { latest } = await events('h1');
    const follow = spawn(process.execPath, [CLI_MAIN, '--lab', 'h1', 'events', '--follow', '--json'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const followed: HealthEvent[] = [];
    let buf = '';
    follow.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) if (l) followed.push(JSON.parse(l) as HealthEvent);
    });
    try {
      nsh(h2, ['iptables', '-I', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
      try {
        const seen = await eventually(
          'an event naming h2',
          () => events('h1', latest),
          (r) => r.events.some((e) => e.kind === 'peer_unreachable' && e.subject === '198.18.0.2'),
          5_000,
        );
        const e = seen.value.events.find((x) => x.kind === 'peer_unreachable')!;
        expect(e.text).toMatch(/peer two \(198\.18\.0\.2\) unreachable over VXLAN while alive in gossip/);
        expect(e.level).toBe('error');
        expect(Math.abs(Date.parse(e.at) - Date.now())).toBeLessThan(10_000);
        console.log(`peer_unreachable event seen after ${seen.ms} ms: ${e.text}`);
        await eventually(
          'the follower printed it',
          async () => followed,
          (f) => f.some((x) => x.seq === e.seq),
          3_000,
        );
      } finally {
        nsh(h2, ['iptables', '-D', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
      }
      await eventually(
        'h2 reachable again',
        () => events('h1', latest),
        (r) => r.events.some((e) => e.kind === 'peer_reachable' && e.subject === '198.18.0.2'),
        10_000,
      );
    } finally {
      follow.kill('SIGTERM');
    }
  }, 60_000);

  it('says the path MTU and the number to set when a peer underlay MTU is lowered', async () => {
    const { latest } = await events('h1');
    nsh(h2, ['ip', 'link', 'set', 'eth0', 'mtu', '1400']);
    try {
      const seen = await eventually(
        'an MTU event naming h2 with the number to set',
        () => events('h1', latest),
        (r) => r.events.some((e) => e.kind === 'mtu_too_small' && /launch --mtu \d+/.test(e.text)),
        25_000,
      );
      const e = seen.value.events.find((x) => x.kind === 'mtu_too_small' && /--mtu/.test(x.text))!;
      // The number is the agent's own path MTU measurement, and it is below what h2's 1400 underlay can carry.
      const m =
        /path MTU to peer two \(198\.18\.0\.2\) is (\d+); set the overlay MTU to (\d+): xnet-tui launch --mtu (\d+), or raise the underlay MTU to 1500$/.exec(
          e.text,
        );
      expect(m, e.text).not.toBeNull();
      expect(Number(m![2])).toBe(Number(m![1]));
      expect(Number(m![3])).toBe(Number(m![1]));
      expect(Number(m![1])).toBeLessThanOrEqual(1400 - 46);
      console.log(`mtu event after ${seen.ms} ms: ${e.text}`);
      // 15.6: launch --mtu. Above underlay - 50 is bad input, naming the field, and changes nothing.
      const state = () => readFileSync(join(h1.agentStateDir, 'state.json'), 'utf8');
      const bridgeMtu = async () =>
        String((await xnetJson<{ router: RouterStatus }>(['--lab', 'h1', 'status'])).router.bridge.mtu);
      const before = [state(), await bridgeMtu()];
      for (const bad of ['1451', 'abc', '1000']) {
        const r = await xnet(['--lab', 'h1', 'launch', '--mtu', bad, '--json']);
        expect(r.code, r.stdout).toBe(2);
        expect(JSON.parse(r.stdout).error.field).toBe('mtu');
      }
      expect([state(), await bridgeMtu()]).toEqual(before);
      // The number the event gave, set as it says: the bridge and the container follow, the path fits again.
      await xnetJson(['--lab', 'h1', 'launch', '--mtu', m![1]!]);
      expect(await bridgeMtu()).toBe(m![1]);
      expect(labSh('h1', ['docker', 'exec', 'c1', 'cat', '/sys/class/net/ethwe/mtu']).trim()).toBe(m![1]);
      await eventually(
        'h2 reachable with the lower MTU',
        reachable,
        (p) => p?.dataPlane.state === 'reachable',
        10_000,
      );
    } finally {
      nsh(h2, ['ip', 'link', 'set', 'eth0', 'mtu', '1500']);
    }
    await xnetJson(['--lab', 'h1', 'launch', '--mtu', '1450']);
  }, 60_000);

  it('doctor: a rule dropping VXLAN fails (exit 1) with the command that removes it; without it, exit 0', async () => {
    type Doctor = { ok: boolean; checks: { id: string; state: string; fix: string | null }[] };
    nsh(h2, ['iptables', '-I', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    try {
      const r = await xnet(['--lab', 'h2', 'doctor', '--json']);
      expect(r.code).toBe(1);
      const d = JSON.parse(r.stdout) as Doctor;
      expect(d.ok).toBe(false);
      expect(d.checks.find((c) => c.id === 'firewall')).toMatchObject({
        state: 'fail',
        fix: 'iptables -D INPUT -p udp -m udp --dport 4789 -j DROP',
      });
    } finally {
      nsh(h2, ['iptables', '-D', 'INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP']);
    }
    const r = await xnet(['--lab', 'h2', 'doctor']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^ok {4}UDP 4789 \(VXLAN\): in use by the router$/m);
    expect(r.stdout).toMatch(/^ok {4}underlay MTU: eth0 mtu 1500/m);
  }, 30_000);

  it('names a container that lost its address (drift) within 12 s, and its repair', async () => {
    // The health watch reads attachments from the container cache and /proc every 5 s, no docker inspect.
    const { latest } = await events('h1');
    const pid = labSh('h1', ['docker', 'inspect', '-f', '{{.State.Pid}}', 'c1']).trim();
    sh('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', 'addr', 'del', '10.32.0.11/12', 'dev', 'ethwe']);
    const { value: drifted } = await eventually(
      'a drift event for c1',
      () => events('h1', latest),
      (r) => r.events.some((e) => e.kind === 'drift' && e.subject === 'c1'),
      12_000,
    );
    expect(drifted.events.find((e) => e.kind === 'drift')!.text).toContain('lacks 10.32.0.11/12');
    await xnetJson(['--lab', 'h1', 'attach', '10.32.0.11/12', 'c1']);
    await eventually(
      'c1 repaired',
      () => events('h1', drifted.latest),
      (r) => r.events.some((e) => e.kind === 'drift_repaired' && e.subject === 'c1'),
      12_000,
    );
  }, 40_000);

  it('keeps the events across an agent restart, numbering on', async () => {
    const before = await events('h1');
    expect(before.events.length).toBeGreaterThan(0);
    process.kill(Number(readFileSync(h1.agentPidfile, 'utf8')), 'SIGTERM');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await xnet(['lab', 'up', '--hosts', '2'])).code).toBe(0);
    const after = await events('h1');
    expect(after.events.slice(0, before.events.length)).toEqual(before.events);
    expect(after.latest).toBeGreaterThanOrEqual(before.latest);
    const bad = await xnet(['--lab', 'h1', 'events', '--since', 'x', '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.field).toBe('since');
  }, 60_000);
});
