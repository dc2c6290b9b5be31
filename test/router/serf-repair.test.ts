import { describe, expect, it } from 'vitest';
import {
  GossipRepair,
  pickPeer,
  REPAIR_ROUNDS,
  REPAIR_SCALE_AT,
  repairEvery,
  type RepairDeps,
} from '../../src/router/serf/repair.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PEERS = ['198.18.0.2:7946', '198.18.0.3:7946', '198.18.0.4:7946'];

describe('repairEvery', () => {
  it('is the mean interval up to REPAIR_SCALE_AT members and grows with the mesh past it', () => {
    expect(repairEvery(2)).toBe(1_000);
    expect(repairEvery(REPAIR_SCALE_AT)).toBe(1_000);
    expect(repairEvery(REPAIR_SCALE_AT * 4)).toBe(4_000);
    // The mesh-wide rate (members / interval) stays at REPAIR_SCALE_AT a second past the knee.
    expect((1_000 * 640) / repairEvery(640)).toBe(REPAIR_SCALE_AT);
  });
});

describe('pickPeer', () => {
  it('picks any peer by the random draw, never the last one when there is another', () => {
    expect(pickPeer(PEERS, undefined, () => 0)).toBe(PEERS[0]);
    expect(pickPeer(PEERS, undefined, () => 0.99)).toBe(PEERS[2]);
    for (const r of [0, 0.4, 0.99]) expect(pickPeer(PEERS, PEERS[0], () => r)).not.toBe(PEERS[0]);
    expect(pickPeer([PEERS[0]!], PEERS[0], () => 0.5)).toBe(PEERS[0]);
    expect(pickPeer([], undefined)).toBeUndefined();
  });
});

// serf is replaced by a recorder of the push/pulls asked of it: a fake of the join RPC, named so.
function fakeSerf(o: { slowMs?: number; failing?: string } = {}) {
  const asked: string[] = [];
  let inFlight = 0;
  let overlapped = false;
  const logs: string[] = [];
  let changedAt = 0;
  const deps: RepairDeps = {
    peers: () => PEERS,
    changedAt: () => changedAt,
    pushPull: async (addr) => {
      inFlight++;
      if (inFlight > 1) overlapped = true;
      asked.push(addr);
      await sleep(o.slowMs ?? 0);
      inFlight--;
      if (addr === o.failing) throw new Error('no push/pull');
    },
    log: (m) => logs.push(m),
    everyMs: 10,
    quietMs: 50,
    maxWaitMs: 1_000,
  };
  return {
    deps,
    asked,
    logs,
    overlapped: () => overlapped,
    set changedAt(v: number) {
      changedAt = v;
    },
  };
}

describe('GossipRepair', () => {
  it('once members are quiet after a change, does its rounds with random peers, logs them once, then stops', async () => {
    const serf = fakeSerf();
    const r = new GossipRepair(serf.deps);
    serf.changedAt = Date.now();
    r.start();
    await sleep(30);
    expect(serf.asked).toEqual([]); // not quiet yet
    await sleep(300);
    expect(serf.asked).toHaveLength(REPAIR_ROUNDS);
    for (const a of serf.asked) expect(PEERS).toContain(a);
    for (let i = 1; i < serf.asked.length; i++) expect(serf.asked[i]).not.toBe(serf.asked[i - 1]);
    expect(serf.logs).toEqual([`gossip repair: ${REPAIR_ROUNDS} push/pulls after members changed`]);
    // Another change: its own rounds.
    serf.changedAt = Date.now();
    await sleep(350);
    expect(serf.asked).toHaveLength(2 * REPAIR_ROUNDS);
    expect(serf.logs).toHaveLength(2);
    expect(r.counts).toEqual({ done: 2 * REPAIR_ROUNDS, failed: 0 });
    r.stop();
  });

  it("says why in the change's line when exchanges failed", async () => {
    const serf = fakeSerf({ failing: PEERS[1] });
    const r = new GossipRepair({ ...serf.deps, peers: () => [PEERS[1]!] });
    serf.changedAt = Date.now();
    r.start();
    await sleep(400);
    r.stop();
    expect(serf.logs).toEqual([
      `gossip repair: 0 push/pulls after members changed (${REPAIR_ROUNDS} failed, the last: no push/pull)`,
    ]);
  });

  it('asks nothing when members never changed', async () => {
    const serf = fakeSerf();
    const r = new GossipRepair(serf.deps);
    r.start();
    await sleep(150);
    r.stop();
    expect(serf.asked).toEqual([]);
    expect(serf.logs).toEqual([]);
  });

  it('while members keep changing, one every max wait; one at a time however slow; failures counted', async () => {
    const serf = fakeSerf({ slowMs: 40, failing: PEERS[1] });
    const r = new GossipRepair({ ...serf.deps, everyMs: 1, maxWaitMs: 5 });
    const churn = setInterval(() => (serf.changedAt = Date.now()), 5);
    serf.changedAt = Date.now();
    r.start();
    await sleep(400);
    r.stop();
    clearInterval(churn);
    await sleep(60); // the exchange in flight at stop ends and is counted
    expect(serf.asked.length).toBeGreaterThan(3);
    expect(serf.overlapped()).toBe(false);
    const failed = serf.asked.filter((a) => a === PEERS[1]).length;
    expect(failed).toBeGreaterThan(0);
    expect(r.counts.failed).toBe(failed);
    expect(r.counts.done + r.counts.failed).toBe(serf.asked.length);
  });

  it('while members keep changing and max wait is long, nothing', async () => {
    const serf = fakeSerf();
    const r = new GossipRepair(serf.deps);
    const churn = setInterval(() => (serf.changedAt = Date.now()), 5);
    r.start();
    await sleep(200);
    r.stop();
    clearInterval(churn);
    expect(serf.asked).toEqual([]);
  });

  it('stop ends it: no exchange after', async () => {
    const serf = fakeSerf();
    const r = new GossipRepair({ ...serf.deps, quietMs: 0 });
    serf.changedAt = Date.now();
    r.start();
    await sleep(15);
    r.stop();
    const n = serf.asked.length;
    serf.changedAt = Date.now();
    await sleep(100);
    expect(serf.asked.length).toBe(n);
  });
});
