import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deriveEvents, carryAttachments, type HealthSnapshot } from '../../src/agent/events/derive.js';
import { EventRing } from '../../src/agent/events/ring.js';

const quiet = (over: Partial<HealthSnapshot> = {}): HealthSnapshot => ({
  peers: [{ address: '198.18.0.2', nickname: 'two', gossip: 'alive', dataPlane: 'reachable', detail: null }],
  checks: [{ id: 'a-1', label: 'web -> peer two', state: 'up', lossPct: 0, error: null }],
  mtu: [{ peer: '198.18.0.2', nickname: 'two', state: 'ok', pathMtu: 1450, suggestedMtu: null }],
  counters: { failed: false, reason: null },
  docker: { reachable: true, error: null },
  attachments: [{ container: 'web', state: 'attached', cidrs: ['10.32.0.5/12'], live: ['10.32.0.5/12'] }],
  driver: 'vxlan',
  bridgeMtu: 1450,
  ...over,
});

describe('deriveEvents', () => {
  it('says nothing for a healthy host, first look or not', () => {
    expect(deriveEvents(undefined, quiet())).toEqual([]);
    expect(deriveEvents(quiet(), quiet())).toEqual([]);
  });

  it('names a peer that became unreachable, and again when it is back', () => {
    const down = quiet({
      peers: [
        { address: '198.18.0.2', nickname: 'two', gossip: 'alive', dataPlane: 'unreachable', detail: null },
      ],
    });
    const [e] = deriveEvents(quiet(), down);
    expect(e).toMatchObject({ level: 'error', kind: 'peer_unreachable', subject: '198.18.0.2' });
    expect(e!.text).toContain('peer two (198.18.0.2) unreachable');
    expect(deriveEvents(down, down)).toEqual([]);
    expect(deriveEvents(down, quiet())).toMatchObject([{ level: 'ok', kind: 'peer_reachable' }]);
  });

  it('reports a bad state already there at the first look (an agent restart), a good one not', () => {
    const down = quiet({
      peers: [{ address: '198.18.0.3', nickname: '', gossip: 'failed', dataPlane: 'unknown', detail: null }],
    });
    expect(deriveEvents(undefined, down)).toMatchObject([
      { kind: 'peer_failed', subject: '198.18.0.3', text: expect.stringContaining('peer 198.18.0.3 failed') },
    ]);
  });

  it('gives the path MTU, the number to set and the command when the MTU is too small', () => {
    const small = quiet({
      mtu: [{ peer: '198.18.0.2', nickname: 'two', state: 'mismatch', pathMtu: 1354, suggestedMtu: 1354 }],
    });
    const [e] = deriveEvents(quiet(), small);
    expect(e).toMatchObject({ kind: 'mtu_too_small', level: 'error' });
    expect(e!.text).toBe(
      'path MTU to peer two (198.18.0.2) is 1354; set the overlay MTU to 1354: xnet-tui launch --mtu 1354, or raise the underlay MTU to 1500',
    );
    expect(deriveEvents(small, quiet())).toMatchObject([{ kind: 'mtu_ok', level: 'ok' }]);
  });

  it('checks down, degraded and up; pending to up is no news', () => {
    const at = (state: 'up' | 'down' | 'degraded' | 'pending') =>
      quiet({ checks: [{ id: 'a-1', label: 'web -> peer two', state, lossPct: 40, error: null }] });
    expect(deriveEvents(at('up'), at('down'))).toMatchObject([{ kind: 'check_down', subject: 'a-1' }]);
    expect(deriveEvents(at('up'), at('degraded'))).toMatchObject([{ kind: 'check_degraded', level: 'warn' }]);
    expect(deriveEvents(at('down'), at('up'))).toMatchObject([{ kind: 'check_up', level: 'ok' }]);
    expect(deriveEvents(at('pending'), at('up'))).toEqual([]);
  });

  it('telemetry failing, dockerd going and coming back, drift and its repair', () => {
    const broken = quiet({
      counters: { failed: true, reason: 'map read: permission denied' },
      docker: { reachable: false, error: 'connect ENOENT' },
      attachments: [{ container: 'web', state: 'drift', cidrs: ['10.32.0.5/12'], live: [] }],
    });
    const kinds = deriveEvents(quiet(), broken).map((e) => e.kind);
    expect(kinds).toEqual(['telemetry_failed', 'dockerd_unreachable', 'drift']);
    expect(deriveEvents(quiet(), broken).find((e) => e.kind === 'drift')!.text).toContain(
      'web lacks 10.32.0.5/12',
    );
    expect(deriveEvents(broken, quiet()).map((e) => e.kind)).toEqual([
      'telemetry_ok',
      'dockerd_reachable',
      'drift_repaired',
    ]);
  });

  it('a look without attachments keeps the last ones: no false repair', () => {
    const drift = quiet({
      attachments: [{ container: 'web', state: 'drift', cidrs: ['10.32.0.5/12'], live: [] }],
    });
    const { attachments: _skip, ...without } = quiet();
    const kept = carryAttachments(drift, without);
    expect(deriveEvents(drift, kept)).toEqual([]);
    expect(kept.attachments).toEqual(drift.attachments);
  });

  it("MTU trouble under another driver gives that driver's fix, never --mtu", () => {
    const small = (driver: HealthSnapshot['driver'], bridgeMtu: number) =>
      quiet({
        driver,
        bridgeMtu,
        mtu: [{ peer: '198.18.0.2', nickname: 'two', state: 'mismatch', pathMtu: 1354, suggestedMtu: 1354 }],
      });
    const [gre] = deriveEvents(quiet(), small('ovs-gre', 1462));
    expect(gre!.text).toBe(
      'path MTU to peer two (198.18.0.2) is 1354; lower the underlay MTU to 1392 on every host and launch again (ovs-gre gives its bridge the underlay MTU less 38 (GRE) and takes no --mtu), or raise the MTU on the path to 1500',
    );
    const [none] = deriveEvents(quiet(), small(null, 1450));
    expect(none!.text).toBe('path MTU to peer two (198.18.0.2) is 1354');
  });
});

describe('EventRing', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xnet-events-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const draft = (n: number) => ({
    level: 'info' as const,
    kind: 'check_up' as const,
    subject: `c${n}`,
    text: `t${n}`,
  });

  it('keeps the newest `capacity`, numbers them, and survives a restart (a new ring on the same dir)', async () => {
    const ring = new EventRing(dir, 3);
    await ring.load();
    await ring.push([draft(1), draft(2)]);
    await ring.push([draft(3), draft(4)]);
    expect(ring.since().map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(ring.since(3).map((e) => e.subject)).toEqual(['c4']);

    const again = new EventRing(dir, 3);
    await again.load();
    expect(again.latest).toBe(4);
    expect(again.since().map((e) => e.text)).toEqual(['t2', 't3', 't4']);
    const [next] = await again.push([draft(5)]);
    expect(next!.seq).toBe(5);
    const onDisk = JSON.parse(await readFile(join(dir, 'events.json'), 'utf8')) as { seq: number };
    expect(onDisk.seq).toBe(5);
  });

  it('moves a damaged file aside and starts empty', async () => {
    await writeFile(join(dir, 'events.json'), '{not json');
    const ring = new EventRing(dir);
    await ring.load();
    expect(ring.latest).toBe(0);
    expect(await readFile(join(dir, 'events.json.damaged'), 'utf8')).toBe('{not json');
  });
});
