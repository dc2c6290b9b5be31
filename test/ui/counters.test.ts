import { describe, expect, it } from 'vitest';
import type { Result } from '../../src/api/index.js';
import { peerRatesFeature } from '../../src/ui/state/counters.js';

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
