import { execFileSync } from 'node:child_process';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { NETNS_PREFIX } from '../../src/lab/layout.js';
import { NetnsRunner } from '../../src/net/netns-runner.js';
import { namedNetns } from '../../src/net/overlay.js';

// A real `ip` and `tc` in a scratch namespace of this lab's prefix (lab down removes it if a run is cut short).
const NAME = `${NETNS_PREFIX}runner`;
const PATH = namedNetns(NAME);
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
/** Our own runner shells: the sh processes this test process started. */
const shells = (): string[] => {
  try {
    const args = ['-P', String(process.pid), '-f', 'xnet-end'];
    return execFileSync('pgrep', args, { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return [];
  }
};

describe('NetnsRunner: ip -batch, tc -batch and iptables-restore in any namespace, started by one long-lived shell', () => {
  let runner: NetnsRunner;
  beforeEach(() => {
    fresh();
    runner?.close();
    runner = new NetnsRunner();
  });
  afterAll(() => {
    runner.close();
    ip('netns', 'del', NAME);
  });

  it('runs requests in the namespace each names, one shell for many', async () => {
    const before = shells();
    await runner.ipBatch(PATH, ['link add sa type veth peer name sb', 'link set sa up']);
    const started = shells().filter((p) => !before.includes(p));
    expect(started).toHaveLength(1);
    await Promise.all([
      runner.ipBatch(PATH, ['link add ua type veth peer name ub']),
      runner.ipBatch(PATH, ['link add va type veth peer name vb']),
    ]);
    expect(devices()).toEqual(expect.arrayContaining(['sa', 'sb', 'ua', 'va']));
    expect(shells().filter((p) => !before.includes(p))).toEqual(started);
  });

  it('stops at the first failing line, as ip -batch does, and says why', async () => {
    await expect(
      runner.ipBatch(PATH, ['link set nosuch up', 'link add tb type veth peer name tc']),
    ).rejects.toThrow(/ip -batch in .*Cannot find device "nosuch"/);
    expect(devices()).not.toContain('tb');
    await expect(runner.ipBatch(PATH, ['link add tb type veth peer name tc'])).resolves.toBeUndefined();
  });

  it('runs tc the same way', async () => {
    await runner.tcBatch(PATH, ['qdisc add dev lo clsact']);
    expect(execFileSync('tc', ['-n', NAME, 'qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' })).toMatch(
      /clsact/,
    );
    await expect(runner.tcBatch(PATH, ['qdisc add dev nosuch clsact'])).rejects.toThrow(
      /tc -batch in .*Cannot find device "nosuch"/,
    );
  });

  it('runs iptables-restore --noflush: one commit, other rules kept, a bad rule refused with nothing changed', async () => {
    const rules = () =>
      execFileSync('ip', ['netns', 'exec', NAME, 'iptables', '-S'], { encoding: 'utf8' }).split('\n');
    execFileSync('ip', [
      'netns',
      'exec',
      NAME,
      'iptables',
      '-A',
      'INPUT',
      '-p',
      'tcp',
      '--dport',
      '9',
      '-j',
      'DROP',
    ]);
    const chain = (src: string) =>
      ['*filter', ':XT - [0:0]', `-A XT -s ${src}/32 -j RETURN`, '-A XT -j DROP', 'COMMIT', ''].join('\n');
    await runner.iptablesRestore(PATH, chain('198.18.0.7'));
    await runner.iptablesRestore(PATH, chain('198.18.0.8'));
    expect(rules()).toEqual(
      expect.arrayContaining([
        '-A INPUT -p tcp -m tcp --dport 9 -j DROP',
        '-A XT -s 198.18.0.8/32 -j RETURN',
      ]),
    );
    expect(rules()).not.toContain('-A XT -s 198.18.0.7/32 -j RETURN');
    await expect(
      runner.iptablesRestore(
        PATH,
        ['*filter', ':XT - [0:0]', '-A XT -s 198.18.0.9/32 -j NOSUCHTARGET', 'COMMIT', ''].join('\n'),
      ),
    ).rejects.toThrow(/iptables-restore in .*/);
    expect(rules()).toContain('-A XT -s 198.18.0.8/32 -j RETURN');
    expect(rules().join('\n')).not.toContain('198.18.0.9');
  });

  it('enters the namespace at the path anew on every request (a reset makes it again)', async () => {
    await runner.ipBatch(PATH, ['link add qa type veth peer name qb']);
    fresh();
    await runner.ipBatch(PATH, ['link add ra type veth peer name rb']);
    expect(devices()).toEqual(expect.arrayContaining(['ra', 'rb']));
    expect(devices()).not.toContain('qa');
  });

  it('passes a value with shell syntax in it as an argument, never evaluating it', async () => {
    await expect(runner.ipBatch('/run/netns/$(touch /tmp/xnet-runner-pwned)', ['link show'])).rejects.toThrow(
      /ip -batch in/,
    );
    expect(() => execFileSync('test', ['-e', '/tmp/xnet-runner-pwned'])).toThrow();
  });
});
