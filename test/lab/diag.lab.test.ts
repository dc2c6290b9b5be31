import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerStatus } from '../../src/api/router-status.js';
import { CLI_MAIN } from '../../src/agent/client.js';
import { xnet, xnetJson } from '../helpers/cli.js';
import { nsh } from '../helpers/lab.js';
import { labMesh } from '../helpers/mesh.js';
import { tmuxTui } from '../helpers/tmux.js';
import { eventually, until } from '../helpers/wait.js';
import { labAgentDockerdArgs } from '../../src/lab/dockerd.js';
import type { DoctorCheck } from '../../src/api/doctor.js';
import { agentStatus, pidIn } from './faults-helpers.js';

// Issue 15 on two real lab hosts, one TUI in tmux on h1: a blocked tunnel says where its packets stop (in
// `status peers --json` and the TUI's details, from the kernel's counters), and the event line names the peer.
const mesh = labMesh({ hosts: 2, reachableWithinMs: 30_000 });
const [h1, h2] = mesh.hosts;
const DROP = ['INPUT', '-p', 'udp', '--dport', '4789', '-j', 'DROP'];
const { screen, keys, kill, open } = tmuxTui('xnet-tui-diag', { session: 'diag', capture: ['-J'] });

/** The UI tests' clock fake: this machine has one clock for every lab host, so a skewed peer is shifted in Node. */
const CLOCK = fileURLToPath(new URL('../ui/shifted-clock.mjs', import.meta.url));
const clockCheck = async (host: string): Promise<DoctorCheck> =>
  (await xnetJson<{ checks: DoctorCheck[] }>(['--lab', host, 'doctor'])).checks.find(
    (c) => c.id === 'clock',
  )!;

/**
 * Whether doctor's figure for a peer ("peer two (198.18.0.2) +3 ms ± 4 ms", "+5.0 s ± 40 ms") holds the skew we
 * injected: within the uncertainty it states (half its measured round trip), plus the printed rounding.
 */
function skewWithin(detail: string, nickname: string, injectedMs: number): boolean {
  const m = new RegExp(`peer ${nickname} \\([\\d.]+\\) ([+-])([\\d.]+) (ms|s) ± (\\d+) ms`).exec(detail);
  if (!m) return false;
  const seconds = m[3] === 's';
  const offset = (m[1] === '-' ? -1 : 1) * Number(m[2]) * (seconds ? 1000 : 1);
  // ms are whole (1 ms of rounding); seconds are printed to a tenth (50 ms).
  return Math.abs(offset - injectedMs) <= Number(m[4]) + (seconds ? 50 : 1);
}

const peer = async (host: string, address: string): Promise<PeerStatus | undefined> =>
  (await xnetJson<{ peers: PeerStatus[] }>(['--lab', host, 'status', 'peers'])).peers.find(
    (p) => p.address === address,
  );

describe('where a blocked tunnel stops, on two lab hosts', () => {
  beforeAll(async () => {
    await mesh.up();
    open('h1', { cols: 160, rows: 48 });
    await eventually(
      'the TUI shows peer two',
      screen,
      (s) => /two\s+198\.18\.0\.2\s+alive\s+reachable/.test(s),
      20_000,
    );
  }, 240_000);

  afterAll(async () => {
    try {
      execFileSync('nsenter', [`--net=${h2.netnsPath}`, '--', 'iptables', '-D', ...DROP], {
        stdio: 'ignore',
      });
    } catch {
      // not there
    }
    kill();
    await mesh.down();
  }, 120_000);

  it('UDP 4789 dropped on h2: the event line names it within 5 s; each side says where packets stop', async () => {
    nsh(h2, ['iptables', '-I', ...DROP]);
    const line = await eventually(
      "the TUI's event line naming peer two",
      screen,
      // Whichever of the two events about it comes last: the peer unreachable over VXLAN, or its automatic
      // check (the host's probes to it) down.
      (s) =>
        /^\d\d:\d\d:\d\d ! (peer two \(198\.18\.0\.2\) unreachable over VXLAN|check host -> peer two \(198\.18\.0\.2\) down)/m.test(
          s,
        ),
      5_000,
    );
    console.log(`event line named peer two ${line.ms} ms after the DROP rule went in`);

    // h1 sends and receives; h2 answers none of it: the fault is on h2's side.
    const one = await eventually(
      'h1 says where',
      () => peer('h1', h2.address),
      (p) => p?.dataPlane.stop !== undefined,
      10_000,
    );
    console.log(`h1 on h2 after ${one.ms} ms: ${one.value!.dataPlane.detail}`);
    expect(one.value!.dataPlane).toMatchObject({ state: 'unreachable', stop: 'peer-drops' });
    expect(one.value!.dataPlane.detail).toMatch(
      /^UDP 4789 from peer two \(198\.18\.0\.2\) reaches xnet-vx here and ours leave for it \(\d+ packets in \d s\), but none is answered: 198\.18\.0\.2 drops what we send/,
    );
    // h2 sees h1's packets arrive on eth0 and its own rule drop them, named as `iptables -S` prints it.
    const two = await eventually(
      'h2 says where',
      () => peer('h2', h1.address),
      (p) => p?.dataPlane.stop !== undefined,
      10_000,
    );
    console.log(`h2 on h1 after ${two.ms} ms: ${two.value!.dataPlane.detail}`);
    expect(two.value!.dataPlane).toMatchObject({ state: 'unreachable', stop: 'firewall' });
    expect(two.value!.dataPlane.detail).toMatch(
      /^UDP 4789 arrives on eth0 \(\d+ packets in \d s\) but never reaches xnet-vx: a firewall rule drops it \(\d+ packets\): -A INPUT -p udp -m udp --dport 4789 -j DROP$/,
    );

    // The TUI's details of peer two say it too (Tab to Peers, down to two, Enter).
    for (let i = 0; i < 6 && !/━━ Peers/.test(screen()); i++) {
      keys('Tab');
      await new Promise((r) => setTimeout(r, 300));
    }
    keys('j');
    await new Promise((r) => setTimeout(r, 300));
    keys('Enter');
    const details = await eventually(
      'the details of peer two',
      screen,
      (s) => /Peer 198\.18\.0\.2/.test(s) && /drops what we send/.test(s.replace(/[│┃\s]+/g, ' ')),
      10_000,
    );
    expect(details.value).toMatch(/why/);
    keys('Escape');

    nsh(h2, ['iptables', '-D', ...DROP]);
    const back = await eventually(
      'h1 reaches h2 again, and says nothing of stops',
      () => peer('h1', h2.address),
      (p) => p?.dataPlane.state === 'reachable',
      15_000,
    );
    expect(back.value!.dataPlane.stop).toBeUndefined();
    expect(back.value!.dataPlane.detail).toBeNull();
  }, 90_000);

  it('doctor measures clock skew with peers through the gossip: small here, and 5 s when a peer runs 5 s ahead', async () => {
    const same = await clockCheck('h1');
    console.log(`h1 doctor, clock: ${same.state}: ${same.detail}`);
    expect(same.state).toBe('ok');
    // One machine, one clock: the skew we know is 0, and the measurement must find it within its own
    // uncertainty (half of a round trip it measured, however long the load made it).
    expect(skewWithin(same.detail, 'two', 0), same.detail).toBe(true);

    // The D view shows the same finding.
    keys('D');
    await eventually(
      'the D view with the clock',
      screen,
      (s) => /clock skew with peers: within 500 ms/.test(s),
      15_000,
    );
    keys('Escape');

    // h2's agent replaced by one whose clock runs 5 s ahead (serf and the mesh stay; the agent adopts serf).
    if (h2.supervisorPidfile && existsSync(h2.supervisorPidfile))
      process.kill(pidIn(h2.supervisorPidfile), 'SIGKILL');
    process.kill(pidIn(h2.agentPidfile), 'SIGTERM');
    await until('h2 has no agent', async () => (await agentStatus(h2)) === undefined, 15_000);
    const wall = Date.now();
    const ahead = spawn(
      'nsenter',
      [`--net=${h2.netnsPath}`, '--', process.execPath, CLI_MAIN, 'agent', '--socket', h2.agentSocket,
        '--state-dir', h2.agentStateDir, '--docker-host', h2.dockerHost, ...labAgentDockerdArgs(h2)],
      {
        stdio: 'ignore',
        env: { ...process.env, NODE_OPTIONS: `--import=${CLOCK}`, XNET_TEST_CLOCK_AT: String(wall + 5_000), XNET_TEST_CLOCK_WALL: String(wall) },
      },
    ); // prettier-ignore
    try {
      await until('the shifted agent answers', async () => (await agentStatus(h2)) !== undefined, 30_000);
      const skew = await eventually(
        'h1 doctor sees h2 5 s ahead',
        () => clockCheck('h1'),
        (c) => c.state === 'warn',
        20_000,
      );
      console.log(`h1 doctor, clock, h2 5 s ahead: ${skew.value.detail}`);
      expect(skew.value.detail).toMatch(/^off by more than 500 ms: peer two \(198\.18\.0\.2\) \+/);
      expect(skewWithin(skew.value.detail, 'two', 5_000), skew.value.detail).toBe(true);
      expect(skew.value.fix).toMatch(/chrony/);
      const back = await clockCheck('h2');
      expect(skewWithin(back.detail, 'one', -5_000), back.detail).toBe(true);
    } finally {
      ahead.kill('SIGTERM');
      await until('the shifted agent is gone', async () => (await agentStatus(h2)) === undefined, 15_000);
      expect((await xnet(['lab', 'up', '--hosts', '2'])).code).toBe(0);
    }
  }, 120_000);
});
