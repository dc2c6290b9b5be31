import type { TalkerRow } from '../api/capture.js';
import type { FrameHeader } from './decode.js';

/**
 * Top talkers of one capture: packets and bytes per 5-tuple (protocol, source, destination and their ports;
 * one way, so a ping is two rows), with rates over the last few seconds. Pure: feed it headers and the time
 * they were seen, take the top rows out. A tunnel's frames count by their inner 5-tuple and whole outer length
 * (what the underlay carried).
 */

/** Rates are averaged over this long: steady enough to sort by, recent enough to follow a change. */
export const WINDOW_MS = 5_000;
/** At most this many 5-tuples are told apart; the rest only in `overflow` (a port scan cannot eat memory). */
export const MAX_FLOWS = 1024;

interface Flow {
  row: Omit<TalkerRow, 'pps' | 'bps'>;
  /** Second (ms since the epoch, floored) -> [packets, bytes]. */
  seconds: Map<number, [number, number]>;
}

export class Talkers {
  readonly #flows = new Map<string, Flow>();
  #start: number | undefined;
  /** Packets of 5-tuples past MAX_FLOWS. */
  overflow = 0;

  constructor(
    readonly windowMs = WINDOW_MS,
    readonly maxFlows = MAX_FLOWS,
  ) {}

  get flows(): number {
    return this.#flows.size;
  }

  add(h: FrameHeader, t: number): void {
    this.#start ??= t;
    const key = `${h.proto} ${h.src} ${h.sport ?? ''} ${h.dst} ${h.dport ?? ''}`;
    let f = this.#flows.get(key);
    if (!f) {
      if (this.#flows.size >= this.maxFlows) {
        this.overflow++;
        return;
      }
      const { proto, src, dst, sport, dport } = h;
      f = { row: { proto, src, dst, sport, dport, packets: 0, bytes: 0 }, seconds: new Map() };
      this.#flows.set(key, f);
    }
    const bytes = h.tunnel?.len ?? h.len;
    f.row.packets++;
    f.row.bytes += bytes;
    const s = t - (t % 1000);
    const b = f.seconds.get(s);
    if (b) {
      b[0]++;
      b[1] += bytes;
    } else f.seconds.set(s, [1, bytes]);
  }

  /** The `n` busiest 5-tuples at `now`: by bytes/s, then packets/s, then bytes since the start. */
  top(now: number, n: number): TalkerRow[] {
    const from = now - this.windowMs;
    const span = Math.max(1, Math.min(this.windowMs, now - (this.#start ?? now))) / 1000;
    const rows: TalkerRow[] = [];
    for (const f of this.#flows.values()) {
      let p = 0;
      let b = 0;
      for (const [s, [sp, sb]] of f.seconds) {
        if (s + 1000 <= from) f.seconds.delete(s);
        else {
          p += sp;
          b += sb;
        }
      }
      rows.push({ ...f.row, pps: round(p / span), bps: round(b / span) });
    }
    rows.sort((x, y) => y.bps - x.bps || y.pps - x.pps || y.bytes - x.bytes);
    return rows.slice(0, n);
  }
}

const round = (v: number): number => Math.round(v * 10) / 10;
