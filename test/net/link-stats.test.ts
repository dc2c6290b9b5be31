import { afterAll, describe, expect, it } from 'vitest';
import { closeAllSessions, closeSessions } from '../../src/net/batch-session.js';
import { linkReaderPids, readLinkStats } from '../../src/net/link-stats.js';
import { toCounters } from '../../src/net/counters.js';
import type { IpLink } from '../../src/net/ip.js';

type Stats = IpLink & { stats64?: { rx?: { packets?: number } } };

// The real `ip` in this process's own namespace (no root needed to read it).
describe('readLinkStats: one long-lived ip -batch per namespace', () => {
  afterAll(() => closeAllSessions());

  it('answers each reading from the same process, with the statistics and details of `ip -s -details`', async () => {
    const first = await readLinkStats<Stats>(undefined);
    const lo = first.find((l) => l.ifname === 'lo');
    expect(lo?.ifindex).toBe(1);
    expect(lo?.stats64?.rx?.packets).toBeTypeOf('number');
    expect(toCounters(lo!).name).toBe('lo');
    const pids = linkReaderPids();
    expect(pids).toHaveLength(1);
    const again = await Promise.all([1, 2, 3].map(() => readLinkStats<Stats>(undefined)));
    for (const r of again) expect(r.map((l) => l.ifname)).toEqual(first.map((l) => l.ifname));
    expect(linkReaderPids()).toEqual(pids);
  });

  it('starts a reader again after it died', async () => {
    const [pid] = linkReaderPids();
    process.kill(pid!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(linkReaderPids()).toEqual([]);
    expect((await readLinkStats<Stats>(undefined)).some((l) => l.ifname === 'lo')).toBe(true);
    expect(linkReaderPids()).toHaveLength(1);
    expect(linkReaderPids()[0]).not.toBe(pid);
  });

  it('ends the reader of a namespace being removed, so it does not keep the namespace alive', async () => {
    await readLinkStats<Stats>(undefined);
    const [pid] = linkReaderPids();
    closeSessions(undefined);
    expect(linkReaderPids()).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(pid!, 0)).toThrow();
  });

  it('fails a reading in a namespace that does not exist instead of waiting', async () => {
    await expect(readLinkStats('/run/netns/xnet-no-such-namespace')).rejects.toThrow();
  });
});
