import type { RateSample } from '../api/telemetry.js';
import type { PeerCounters, RouterStatus } from '../router/driver.js';
import { HISTORY_SECONDS } from './counters.js';
import { counterSample } from './rates.js';

/**
 * Per-peer rates for drivers with a tunnel per peer (ovs-gre): each second, a sample per peer from the driver's
 * own counters. Other drivers' peers are counted by the kernel counters on the underlay instead.
 */
export class PeerSeries {
  #last: { at: number; byAddress: Map<string, PeerCounters> } | undefined;
  #series = new Map<string, RateSample[]>();

  constructor(
    private readonly read: (() => Promise<PeerCounters[] | undefined>) | undefined,
    private readonly log: (msg: string) => void,
  ) {}

  /** Whether the running driver keeps per-peer counters (the rates then come from here). */
  get active(): boolean {
    return this.#last !== undefined;
  }

  async tick(r: RouterStatus): Promise<void> {
    let now: PeerCounters[] | undefined;
    try {
      now = r.state === 'running' ? await this.read?.() : undefined;
    } catch (err) {
      // One failed read (a busy ovs-vswitchd) costs that second, not the minute of history.
      this.log(`telemetry: peer counters: ${(err as Error).message}`);
      return;
    }
    const prev = this.#last;
    if (!now) {
      this.#last = undefined;
      this.#series.clear();
      return;
    }
    const at = Date.now();
    const byAddress = new Map(now.map((c) => [c.address, c]));
    this.#last = { at, byAddress };
    for (const gone of [...this.#series.keys()].filter((a) => !byAddress.has(a))) this.#series.delete(gone);
    if (!prev || at - prev.at > 2_500) return;
    const t = Math.floor(at / 1000) * 1000 - 1000;
    for (const c of now) {
      const series = this.#series.get(c.address) ?? [];
      series.push(counterSample(t, prev.byAddress.get(c.address), c));
      if (series.length > HISTORY_SECONDS) series.shift();
      this.#series.set(c.address, series);
    }
  }

  series(address: string, seconds: number): RateSample[] {
    return (this.#series.get(address) ?? []).slice(-seconds);
  }
}
