import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/api/index.js';
import { peerRatesFeature } from '../../src/ui/state/counters.js';
import type { UIState } from '../../src/ui/state/model.js';
import { trafficRows } from '../../src/ui/state/rows.js';
import { meshState } from './fixtures.js';

const sample = { t: 0, rx: { packets: 68, bytes: 6664 }, tx: { packets: 68, bytes: 6664 }, protocols: {} };
const rates = (counters: Partial<Result<'rates'>['counters']>, source = counters.source ?? 'ebpf') =>
  ({
    at: 0,
    source,
    counters: {
      source,
      state: 'running',
      reason: null,
      since: null,
      lastReadAt: 0,
      ageMs: 300,
      readMs: 6,
      hooks: [],
      ...counters,
    },
    historySeconds: 60,
    bridge: [],
    containers: [],
    peers: [{ address: '198.18.0.2', nickname: 'two', source: 'ebpf', series: [sample] }],
  }) as unknown as Result<'rates'>;

describe("the Traffic pane's peer rows", () => {
  it('shows the peers while the counters run on eBPF', () => {
    const f = peerRatesFeature(rates({}));
    expect(f.available && f.data[0]!.series[0]!.rx.packets).toBe(68);
  });

  it('shows no frozen figures from a failed or stale reader, but its state and age', () => {
    for (const state of ['failed', 'stale'] as const) {
      const f = peerRatesFeature(rates({ state, ageMs: 12_400, reason: 'no read for 12 s' }));
      expect(f).toEqual({
        available: false,
        reason: `traffic counters ${state} (ebpf, last read 12 s ago): no read for 12 s`,
      });
    }
  });

  it('says per-peer figures need eBPF when it counts from interface counters', () => {
    const f = peerRatesFeature(rates({ source: 'interface-counters' }));
    expect(f.available).toBe(false);
    expect(!f.available && f.reason).toMatch(/eBPF counters unavailable; totals from interface counters/);
  });
});

describe('the Traffic pane under the bridge driver', () => {
  it("draws dockerd's own running container and the non-member rows from the counters, not a stopped one", () => {
    const base = meshState();
    const cache = base.split.bridge;
    const gateway = cache.map((x) => ({ ...x, rx: { packets: 3, bytes: 294 } }));
    const s: UIState = {
      ...base,
      split: {
        ...base.split,
        containers: new Map([...base.split.containers, ['cache', cache], ['batch', cache]]),
        others: [
          {
            kind: 'gateway',
            label: 'gateway 198.18.0.254 and beyond',
            address: '198.18.0.254',
            series: gateway,
          },
        ],
      },
    };
    const rows = trafficRows(s);
    const plain = rows.find((r) => r.id === 'container:cache');
    expect(plain?.rate).toEqual({ rx: cache.at(-1)!.rx.bytes, tx: cache.at(-1)!.tx.bytes });
    expect(rows.find((r) => r.id === 'container:batch')).toBeUndefined();
    const gw = rows.find((r) => r.id === 'other:gateway');
    expect(gw).toMatchObject({ label: 'gateway 198.18.0.254 and beyond', packets: { rx: 3 } });
    // Peers first, then the non-members: the gateway is apart from every peer.
    expect(rows.findIndex((r) => r.id === 'other:gateway')).toBeGreaterThan(
      rows.findIndex((r) => r.kind === 'peer' && r.id.startsWith('peer:')),
    );
    // Without eBPF there are no per-peer figures, so no non-member rows either.
    const off = trafficRows({ ...s, peerRates: { available: false, reason: 'no eBPF' } });
    expect(off.some((r) => r.id.startsWith('other:'))).toBe(false);
  });
});
