import { describe, expect, it } from 'vitest';
import {
  BUSY_EVERY_MS,
  MemberWatch,
  membersKey,
  NextRead,
  statsSignature,
} from '../../src/router/serf/watch.js';
import type { SerfMember } from '../../src/router/serf/rpc.js';

const m = (
  name: string,
  status: SerfMember['status'] = 'alive',
  tags: Record<string, string> = {},
): SerfMember => ({
  name,
  addr: name,
  port: 7946,
  tags,
  status,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('membersKey', () => {
  it('is the same for the same members in any order and tag order, and differs on state or tags', () => {
    const a = membersKey([m('198.18.0.1', 'alive', { a: '1', b: '2' }), m('198.18.0.2')]);
    expect(membersKey([m('198.18.0.2'), m('198.18.0.1', 'alive', { b: '2', a: '1' })])).toBe(a);
    expect(membersKey([m('198.18.0.2', 'failed'), m('198.18.0.1', 'alive', { a: '1', b: '2' })])).not.toBe(a);
    expect(membersKey([m('198.18.0.2'), m('198.18.0.1', 'alive', { a: '1', b: '3' })])).not.toBe(a);
  });
});

// serf itself is replaced by a list the test changes: a fake of the members RPC, named so.
describe('MemberWatch', () => {
  it('asks for a sync when the members differ from the last synced, within the busy period', async () => {
    let members = [m('198.18.0.1')];
    let synced = membersKey(members);
    let syncs = 0;
    const fakeRpc = async () => members;
    const w = new MemberWatch(
      fakeRpc,
      () => synced,
      () => {
        syncs++;
        synced = membersKey(members);
      },
    );
    w.start();
    await sleep(BUSY_EVERY_MS * 2 + 50);
    expect(syncs).toBe(0);
    members = [m('198.18.0.1'), m('198.18.0.2')];
    const seenAt = Date.now();
    while (syncs === 0 && Date.now() - seenAt < 2_000) await sleep(10);
    expect(syncs).toBe(1);
    expect(Date.now() - seenAt).toBeLessThan(BUSY_EVERY_MS + 150);
    await sleep(BUSY_EVERY_MS * 2);
    expect(syncs).toBe(1);
    w.stop();
    members = [m('198.18.0.1')];
    await sleep(BUSY_EVERY_MS * 2);
    expect(syncs).toBe(1);
  });
});

describe('statsSignature', () => {
  const stats = (serf: Record<string, string>) => ({ agent: { name: 'h1' }, serf });
  const base = { members: '50', failed: '0', left: '0', member_time: '97', event_time: '3' };
  it('moves with the counts and the member clock, not with the other stats', () => {
    const a = statsSignature(stats(base));
    expect(a).toBe('50/0/0/97');
    expect(statsSignature(stats({ ...base, event_time: '4', health_score: '1' }))).toBe(a);
    for (const k of ['members', 'failed', 'left', 'member_time'])
      expect(statsSignature(stats({ ...base, [k]: '98' }))).not.toBe(a);
  });
  it('is undefined when serf does not say them (read the members instead)', () => {
    expect(statsSignature(undefined)).toBeUndefined();
    expect(statsSignature({ agent: { name: 'h1' } })).toBeUndefined();
    expect(statsSignature(stats({ members: '50', failed: '0', left: '0' }))).toBeUndefined();
  });
});

// serf is replaced by a list and a signature the test changes: fakes of the members and stats RPCs, named so.
describe('MemberWatch with a stats signature', () => {
  it('reads the members only when the signature moved, and syncs what changed', async () => {
    let members = [m('198.18.0.1')];
    let signature = '1/0/0/1';
    let synced = membersKey(members);
    let reads = 0;
    let syncs = 0;
    const fakeMembersRpc = async () => {
      reads++;
      return members;
    };
    const fakeStatsRpc = async () => signature;
    const w = new MemberWatch(
      fakeMembersRpc,
      () => synced,
      () => {
        syncs++;
        synced = membersKey(members);
      },
      fakeStatsRpc,
    );
    w.start();
    await sleep(BUSY_EVERY_MS * 4 + 50);
    // The first tick reads (no signature read before it); the next ones see the same signature and do not.
    expect(reads).toBe(1);
    expect(syncs).toBe(0);
    members = [m('198.18.0.1'), m('198.18.0.2')];
    signature = '2/0/0/2';
    const seenAt = Date.now();
    while (syncs === 0 && Date.now() - seenAt < 2_000) await sleep(10);
    expect(syncs).toBe(1);
    expect(reads).toBe(2);
    await sleep(BUSY_EVERY_MS * 3);
    expect(reads).toBe(2);
    w.stop();
  });
});

describe('NextRead', () => {
  const read = (at: number, ...names: string[]) => ({ members: names.map((n) => m(n)), at });

  it("takes the watch's newest read, once", () => {
    const next = new NextRead();
    next.offer(read(10, 'a'));
    next.offer(read(30, 'a', 'b'));
    next.offer(read(20, 'a')); // began earlier, answered later: older news
    expect(next.take()?.members.map((x) => x.name)).toEqual(['a', 'b']);
    expect(next.take()).toBeUndefined();
  });

  it('reads afresh when a request came without a read (an event), whatever the watch offered', () => {
    const next = new NextRead();
    next.offer(read(10, 'a'));
    next.offer();
    expect(next.take()).toBeUndefined();
  });

  it('refuses a read that began before the one the last sync took', () => {
    const next = new NextRead();
    next.synced(50);
    next.offer(read(40, 'a'));
    expect(next.take()).toBeUndefined();
    next.offer(read(60, 'a'));
    expect(next.take()?.at).toBe(60);
    next.reset();
    next.offer(read(1, 'a'));
    expect(next.take()?.at).toBe(1);
  });
});
