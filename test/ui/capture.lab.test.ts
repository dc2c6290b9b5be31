import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPid } from '../../src/lab/process.js';
import { labSh, sh } from '../helpers/cli.js';
import { overlayOf } from '../helpers/lab.js';
import { C1, C2, labPair } from '../helpers/mesh.js';
import { tmuxTui } from '../helpers/tmux.js';
import { eventually } from '../helpers/wait.js';

// The capture view in a real terminal (tmux) against lab host h2 of a two-host mesh, while c1 on h1 pings c2 on
// h2 across the overlay: the container's view and the peer's view show decoded ICMP lines and the talker row,
// the kernel holds one packet socket while a view is open and none once it is closed, and the bridge is never
// made promiscuous.
const mesh = labPair();
const [, h2] = mesh.hosts;
const SESSION = 'ui';
const { tmux, keys, typeText, waitForScreen, kill, open } = tmuxTui('xnet-capture-test', {
  session: SESSION,
  waitMs: 20_000,
});

/**
 * Packet sockets open on h2 (/proc/net/packet: one line each after the header), in its namespace (a peer's
 * capture, on eth0), its overlay namespace (none of ours: the bridge and the host-side veths) and c2's (a
 * container's capture, on its own interface: the fast path hands it the tunnel's frames past the host side).
 */
const c2ns = (): string =>
  `/proc/${labSh('h2', ['docker', 'inspect', '-f', '{{.State.Pid}}', 'c2']).trim()}/ns/net`;
const packetSockets = (): string[] =>
  [h2.netnsPath, overlayOf(h2), c2ns()].flatMap((netns) =>
    sh('nsenter', [`--net=${netns}`, '--', 'cat', '/proc/net/packet'])
      .trim()
      .split('\n')
      .slice(1),
  );

async function socketsBecome(n: number, ms = 10_000): Promise<void> {
  await eventually(`packet sockets on h2 becoming ${n}`, packetSockets, (l) => l.length === n, ms);
}

const promiscuity = (netns: string, dev: string): string | undefined =>
  /promiscuity (\d+) /.exec(sh('nsenter', [`--net=${netns}`, '--', 'ip', '-d', 'link', 'show', dev]))?.[1];

/** The TUI on h2 in a tmux session (its only window: the session ends when the TUI exits). */
function openTui(): void {
  // The last TUI's session may not be gone yet (a TUI killed or quit a moment ago).
  try {
    tmux('kill-session', '-t', SESSION);
  } catch {
    // none left
  }
  open('h2', { cols: 100, rows: 30 });
}

/** h2's agent's capture processes (its children running live-child, through nsenter or not). */
function captureChildren(): number[] {
  const agent = readPid(h2.agentPidfile)!;
  const kids = readdirSync(`/proc/${agent}/task`).flatMap((t) =>
    readFileSync(`/proc/${agent}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
  return kids.filter((k) => {
    try {
      return readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('live-child');
    } catch {
      return false; // gone meanwhile
    }
  });
}

let pinger: ChildProcess | undefined;

describe('the capture view (w) on a lab host', () => {
  beforeAll(async () => {
    await mesh.up();
    const pid = labSh('h1', ['docker', 'inspect', '-f', '{{.State.Pid}}', 'c1']).trim();
    pinger = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ping', '-q', '-i', '0.2', C2], {
      stdio: 'ignore',
    });
    openTui();
    await waitForScreen(/c2\s+attached/);
  });

  afterAll(async () => {
    pinger?.kill();
    kill();
    await mesh.down();
  });

  it('shows decoded ICMP lines and the talker row for c2 while c1 on h1 pings it; Esc leaves no packet socket', async () => {
    expect(packetSockets()).toEqual([]);
    keys('w');
    const s = await waitForScreen(
      new RegExp(
        `ICMP\\s+${C1} > ${C2}\\s+\\d+(\\.\\d)? p/s[\\s\\S]*ICMP\\s+${C1} > ${C2}\\s+98 echo request`,
      ),
    );
    expect(s).toMatch(/Capture c2: ethwe, filter "greater 0", not promiscuous/);
    expect(s).toMatch(new RegExp(`ICMP\\s+${C2} > ${C1}\\s+98 echo reply`));
    expect(s).toMatch(/live \S \d+ packets, 0 dropped/);
    // One packet socket (the view's), and neither the bridge nor anything else made promiscuous by it.
    await socketsBecome(1);
    expect(promiscuity(overlayOf(h2), 'xnet')).toBe('0');

    // A filter libpcap refuses: said in the view, and the old capture is gone, no new one opened.
    keys('/');
    await waitForScreen(/a pcap-filter\(7\) expression/);
    typeText('icmp and (');
    keys('Enter');
    await waitForScreen(/filter refused: "icmp and \(" is not a filter libpcap compiles/);
    await socketsBecome(0);

    // A good one: only echo replies.
    // The prompt starts from the refused text.
    keys('/');
    await waitForScreen(/filter: icmp and \(/);
    for (let i = 0; i < 'icmp and ('.length; i++) keys('BSpace');
    typeText('icmp[icmptype] == icmp-echoreply');
    keys('Enter');
    const replies = await waitForScreen(new RegExp(`ICMP\\s+${C2} > ${C1}\\s+98 echo reply`));
    expect(replies).not.toMatch(/echo request/);
    await socketsBecome(1);

    keys('Escape');
    await waitForScreen(/^(?![\s\S]*Capture c2)[\s\S]*Containers/);
    await socketsBecome(0);
  });

  it('shows the peer one view: its tunnel packets, decoded inside; Esc leaves no packet socket', async () => {
    // Peers pane (two Shift-Tabs back from Containers at 100x30); this host first, then one.
    keys('BTab');
    keys('BTab');
    await waitForScreen(/━━ Peers/);
    keys('Down');
    keys('w');
    const s = await waitForScreen(
      new RegExp(
        `ICMP\\s+${C1} > ${C2}\\s+\\d+(\\.\\d)? p/s[\\s\\S]*ICMP\\s+${C1} > ${C2}\\s+98 echo request`,
      ),
    );
    expect(s).toMatch(/Capture peer one: \S+, filter "udp port 4789 and host 198\.18\.0\.1"/);
    expect(s).toMatch(/frames inside the tunnel/);
    await socketsBecome(1);
    keys('Escape');
    await waitForScreen(/^(?![\s\S]*Capture peer one)[\s\S]*Peers/);
    await socketsBecome(0);
    expect(promiscuity(overlayOf(h2), 'xnet')).toBe('0');
  });

  it('a TUI killed with the view open leaves no capture behind: the agent ends one nobody reads', async () => {
    keys('w');
    await waitForScreen(/Capture peer one: \S+, filter/);
    await socketsBecome(1);
    // SIGKILL: no cleanup, no capture.close; only the agent's lease (15 s without a read) can end it.
    const tui = Number(tmux('list-panes', '-t', SESSION, '-F', '#{pane_pid}').trim());
    process.kill(tui, 'SIGKILL');
    const start = Date.now();
    await socketsBecome(0, 25_000);
    expect(Date.now() - start).toBeGreaterThan(10_000);
  }, 60_000);

  it('q or Ctrl-C with the view open closes its capture at once, not after the 15 s lease', async () => {
    for (const quit of ['q', 'C-c']) {
      openTui();
      await waitForScreen(/c2\s+attached/);
      keys('w');
      await waitForScreen(/Capture c2: ethwe, filter/);
      await socketsBecome(1);
      keys(quit);
      const start = Date.now();
      await socketsBecome(0, 5_000);
      const took = Date.now() - start;
      // Closed at once (the lease would take 15 s), and no capture process of h2's agent is left.
      expect(captureChildren()).toEqual([]);
      expect(took, `${quit}: no packet socket after ${took} ms`).toBeLessThan(1_000);
    }
  }, 120_000);
});
