import { describe, expect, it } from 'vitest';
import { FRESH_MS, LinkReadings, readingOf, type LinkReading } from '../../src/telemetry/link-readings.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { initialState } from '../../src/ui/state/model.js';
import { counters } from '../ui/fixtures.js';

// The `interfaces` method hands out telemetry's last reading: this counts the readings made for its callers.
describe('the interface counters handed to every TUI', () => {
  const clock = () => {
    const c = { t: 10_000, now: () => c.t };
    return c;
  };
  const reader = (c: { now: () => number }) => {
    const r = {
      reads: 0,
      read: async (): Promise<LinkReading> => {
        r.reads++;
        await new Promise((res) => setTimeout(res, 5));
        return readingOf(c.now(), [counters('eth0', r.reads, 0)]);
      },
    };
    return r;
  };

  it("hands out telemetry's reading while it is fresh, to any number of callers, with no read of its own", async () => {
    const c = clock();
    const links = new LinkReadings(c.now);
    const r = reader(c);
    links.record(readingOf(c.t, [counters('eth0', 1, 2)]));
    c.t += FRESH_MS - 1;
    const got = await Promise.all(Array.from({ length: 5 }, () => links.latest(r.read)));
    expect(r.reads).toBe(0);
    expect(got.every((g) => g.at === 10_000)).toBe(true);
    // The next tick's reading replaces it; an older one (a late tick) does not.
    links.record(readingOf(c.t, [counters('eth0', 3, 4)]));
    links.record(readingOf(c.t - 500, [counters('eth0', 0, 0)]));
    expect((await links.latest(r.read)).interfaces[0]!.rxBytes).toBe(3);
    expect(r.reads).toBe(0);
  });

  it('where telemetry does not read, one reading serves every caller who asks while it runs and after it', async () => {
    const c = clock();
    const links = new LinkReadings(c.now);
    const r = reader(c);
    const first = await Promise.all(Array.from({ length: 4 }, () => links.latest(r.read)));
    expect(r.reads).toBe(1);
    expect(new Set(first.map((g) => g.at)).size).toBe(1);
    c.t += 1_000;
    await links.latest(r.read);
    expect(r.reads).toBe(1);
    c.t += FRESH_MS;
    await Promise.all([links.latest(r.read), links.latest(r.read)]);
    expect(r.reads).toBe(2);
  });

  it("drops the overlay namespace's loopback, keeps the host's", () => {
    const got = readingOf(1, [counters('lo', 0, 0)], [counters('lo', 0, 0), counters('vxabc', 1, 1)]);
    expect(got.interfaces.map((i) => i.name)).toEqual(['lo', 'vxabc']);
  });

  it('the UI takes the same reading twice as one: its rates and history stay', () => {
    const s0 = initialState('h1', '/sock', 0);
    const at = (t: number, rx: number) => ({ at: t, interfaces: [counters('vxabc', rx, rx)] });
    const s1 = reducer(reducer(s0, { type: 'counters', sample: at(1_000, 0) }), {
      type: 'counters',
      sample: at(2_000, 1_000),
    });
    expect(s1.traffic.rates.get('vxabc')).toEqual({ rx: 1_000, tx: 1_000 });
    const again = reducer(s1, { type: 'counters', sample: at(2_000, 1_000) });
    expect(again).toBe(s1);
    const s3 = reducer(again, { type: 'counters', sample: at(3_000, 3_000) });
    expect(s3.traffic.history.get('vxabc')!.rx).toEqual([1_000, 2_000]);
  });
});
