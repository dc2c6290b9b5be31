import { execFileSync } from 'node:child_process';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { NETNS_PREFIX } from '../../src/lab/layout.js';
import { batchSession, BatchSession, closeAllSessions } from '../../src/net/batch-session.js';
import { ipBatch } from '../../src/net/ip.js';
import { namedNetns } from '../../src/net/overlay.js';

// A real `ip` and `bridge` in a scratch namespace of this lab's prefix (lab down removes it if a run is cut short).
const NAME = `${NETNS_PREFIX}session`;
const PATH = namedNetns(NAME);
const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const fresh = (): void => {
  try {
    ip('netns', 'del', NAME);
  } catch {
    // not there
  }
  ip('netns', 'add', NAME);
  ip('-n', NAME, 'link', 'add', 'vx0', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'nolearning', 'proxy');
  ip('-n', NAME, 'link', 'set', 'vx0', 'up');
};
const kernelNeigh = (): string => ip('-n', NAME, 'neigh', 'show', 'dev', 'vx0');

describe('BatchSession: ip and bridge -json -batch kept running in a namespace', () => {
  let ipS: BatchSession;
  let brS: BatchSession;
  beforeEach(() => {
    fresh();
    ipS?.close();
    brS?.close();
    ipS = new BatchSession(PATH, 'ip');
    brS = new BatchSession(PATH, 'bridge');
  });
  afterAll(() => {
    closeAllSessions();
    ipS.close();
    brS.close();
    ip('netns', 'del', NAME);
  });

  it('reads and writes neighbours and FDB entries from one process each', async () => {
    expect(await ipS.show('neigh show dev vx0')).toEqual([]);
    const pid = ipS.pid;
    await ipS.write(['neigh replace 10.9.9.9 lladdr 02:00:00:00:00:01 dev vx0 nud permanent']);
    expect(kernelNeigh()).toContain('10.9.9.9 lladdr 02:00:00:00:00:01 PERMANENT');
    expect(await ipS.show('neigh show dev vx0')).toEqual([
      { dst: '10.9.9.9', lladdr: '02:00:00:00:00:01', state: ['PERMANENT'] },
    ]);
    await brS.write(['fdb append 00:00:00:00:00:00 dev vx0 dst 198.18.0.9']);
    const fdb = await brS.show<{ mac: string; dst?: string }>('fdb show dev vx0');
    expect(fdb.some((e) => e.mac === '00:00:00:00:00:00' && e.dst === '198.18.0.9')).toBe(true);
    expect(ipS.pid).toBe(pid);
  });

  it("rejects at the first failing line with the tool's reason, and the next request starts again", async () => {
    const first = ipS.pid ?? (await ipS.show('neigh show dev vx0'), ipS.pid);
    await expect(
      ipS.write(['neigh del 10.7.7.7 dev vx0', 'neigh replace 10.8.8.8 lladdr 02:00:00:00:00:02 dev vx0']),
    ).rejects.toThrow(/ip -batch exited \(RTNETLINK answers: No such file or directory/);
    expect(kernelNeigh()).not.toContain('10.8.8.8');
    expect(await ipS.show('neigh show dev vx0')).toEqual([]);
    expect(ipS.pid).not.toBe(first);
  });

  it('follows a namespace made anew under the same path', async () => {
    await ipS.write(['neigh replace 10.9.9.9 lladdr 02:00:00:00:00:01 dev vx0 nud permanent']);
    fresh();
    expect(await ipS.show('neigh show dev vx0')).toEqual([]);
    await ipS.write(['neigh replace 10.6.6.6 lladdr 02:00:00:00:00:03 dev vx0 nud permanent']);
    expect(kernelNeigh()).toContain('10.6.6.6');
  });

  it('follows a device made anew in the same namespace (iproute2 keeps a name -> ifindex per process)', async () => {
    const shared = batchSession(PATH, 'ip');
    await shared.write(['neigh replace 10.9.9.9 lladdr 02:00:00:00:00:01 dev vx0 nud permanent']);
    // As the router does on a relaunch: the device removed and made again under its name, through ipBatch.
    await ipBatch(PATH, [
      'link del vx0',
      'link add vx0 type vxlan id 42 dstport 4789 nolearning proxy',
      'link set vx0 up',
    ]);
    ip(
      '-n',
      NAME,
      'neigh',
      'replace',
      '10.5.5.5',
      'lladdr',
      '02:00:00:00:00:05',
      'dev',
      'vx0',
      'nud',
      'permanent',
    );
    const fresh = batchSession(PATH, 'ip');
    expect(await fresh.show('neigh show dev vx0')).toEqual([
      { dst: '10.5.5.5', lladdr: '02:00:00:00:00:05', state: ['PERMANENT'] },
    ]);
    await fresh.write(['neigh replace 10.6.6.6 lladdr 02:00:00:00:00:06 dev vx0 nud permanent']);
    expect(kernelNeigh()).toContain('10.6.6.6');
    fresh.close();
  });
});
