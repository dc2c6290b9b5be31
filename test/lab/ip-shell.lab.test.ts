import { execFileSync } from 'node:child_process';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { NETNS_PREFIX } from '../../src/lab/layout.js';
import { IpShell } from '../../src/net/ip-shell.js';
import { NetnsRunner } from '../../src/net/netns-runner.js';
import { namedNetns } from '../../src/net/overlay.js';

// A real `ip` in a scratch namespace of this lab's prefix (lab down removes it if a run is cut short).
const NAME = `${NETNS_PREFIX}ipshell`;
const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const devices = (): string[] =>
  (JSON.parse(ip('-n', NAME, '-json', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname);
const fresh = (): void => {
  try {
    ip('netns', 'del', NAME);
  } catch {
    // not there
  }
  ip('netns', 'add', NAME);
};
/** Our own shells: the ip processes this test process started. */
const pids = (): string[] => {
  try {
    const args = ['-P', String(process.pid), '-f', 'ip -force -batch -'];
    return execFileSync('pgrep', args, { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return [];
  }
};

describe('IpShell: one long-lived ip -batch in a namespace', () => {
  let shell: IpShell;
  beforeEach(() => {
    fresh();
    shell?.close();
    shell = new IpShell(namedNetns(NAME));
  });
  afterAll(() => {
    shell.close();
    ip('netns', 'del', NAME);
  });

  it('runs requests in its namespace, one process for many', async () => {
    const before = pids();
    await shell.run(['link add xa type veth peer name xb', 'link set xa up']);
    const started = pids().filter((p) => !before.includes(p));
    expect(started).toHaveLength(1);
    await Promise.all([shell.run(['link add ya type veth peer name yb']), shell.run(['link set yb up'])]);
    expect(devices()).toEqual(expect.arrayContaining(['xa', 'xb', 'ya', 'yb']));
    expect(pids().filter((p) => !before.includes(p))).toEqual(started);
  });

  it("rejects a request with its failing line and ip's error, and goes on with the next", async () => {
    await expect(shell.run(['link add za type veth peer name zb', 'link set nosuch up'])).rejects.toThrow(
      /link set nosuch up: Cannot find device "nosuch"/,
    );
    // The line before the failing one ran; the request after it is answered on its own.
    expect(devices()).toContain('za');
    await expect(shell.run(['link set za up'])).resolves.toBeUndefined();
    await expect(shell.run(['link add za type veth peer name zb'])).rejects.toThrow(/File exists/);
  });

  it('runs tc the same way', async () => {
    const tc = new IpShell(namedNetns(NAME), 'tc');
    try {
      await tc.run(['qdisc add dev lo clsact']);
      expect(execFileSync('tc', ['-n', NAME, 'qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' })).toMatch(
        /clsact/,
      );
      await expect(tc.run(['qdisc show dev lo', 'qdisc add dev nosuch clsact'])).rejects.toThrow(
        /tc: qdisc add dev nosuch clsact: Cannot find device "nosuch"/,
      );
    } finally {
      tc.close();
    }
  });

  it('follows the namespace when the path is removed and made again', async () => {
    await shell.run(['link add qa type veth peer name qb']);
    fresh(); // a reset: the same name, a new namespace
    await shell.run(['link add ra type veth peer name rb']);
    expect(devices()).toEqual(expect.arrayContaining(['ra', 'rb']));
    expect(devices()).not.toContain('qa');
  });
});

describe('NetnsRunner: ip -batch in any namespace, started by a long-lived shell', () => {
  it('runs each request in the namespace it names, stops at the first failing line and says why', async () => {
    fresh();
    const runner = new NetnsRunner();
    try {
      await runner.ipBatch(namedNetns(NAME), ['link add sa type veth peer name sb', 'link set sa up']);
      expect(devices()).toEqual(expect.arrayContaining(['sa', 'sb']));
      await expect(
        runner.ipBatch(namedNetns(NAME), ['link set nosuch up', 'link add tb type veth peer name tc']),
      ).rejects.toThrow(/Cannot find device "nosuch"/);
      expect(devices()).not.toContain('tb');
      // A value with shell syntax in it is an argument, never evaluated.
      await expect(
        runner.ipBatch('/run/netns/$(touch /tmp/xnet-runner-pwned)', ['link show']),
      ).rejects.toThrow(/ip -batch in/);
      expect(() => execFileSync('test', ['-e', '/tmp/xnet-runner-pwned'])).toThrow();
      await Promise.all([
        runner.ipBatch(namedNetns(NAME), ['link add ua type veth peer name ub']),
        runner.ipBatch(namedNetns(NAME), ['link add va type veth peer name vb']),
      ]);
      expect(devices()).toEqual(expect.arrayContaining(['ua', 'va']));
    } finally {
      runner.close();
      ip('netns', 'del', NAME);
    }
  });
});
