import type { PeerStatus, RouterStatus, TunnelCounters } from '../router/driver.js';
import type { KernelCounters } from './counters.js';
import { whereStopped, type PacketPath } from './packet-path.js';

/** How far back the figures reach: a few probes' worth, short enough to follow a rule added or removed. */
const WINDOW_MS = 3_000;

/**
 * Reads the tunnel's counters once a second while a peer alive in gossip is unreachable over the tunnel (and
 * never otherwise), and keeps for each such peer where its packets stop. The words go into the peer's
 * data-plane detail, so `status peers`, the TUI's WHY column and details, and the event line all say them.
 */
export class PacketStops {
  #readings: { at: number; c: TunnelCounters }[] = [];
  #stops = new Map<string, PacketPath>();
  #busy = false;

  constructor(
    private readonly read: () => Promise<TunnelCounters | undefined>,
    private readonly log: (msg: string) => void,
  ) {}

  /** Not awaited by the second's tick: a slow iptables must not shift which second the counters close. */
  async tick(r: RouterStatus, counters: KernelCounters): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await this.#look(r, counters);
    } finally {
      this.#busy = false;
    }
  }

  async #look(r: RouterStatus, counters: KernelCounters): Promise<void> {
    const blocked = (r.state === 'running' ? r.peers : []).filter(blockedPeer);
    const c =
      blocked.length > 0
        ? await this.read().catch((err: Error) => void this.log(`stops: ${err.message}`))
        : undefined;
    if (!c) {
      this.#readings = [];
      this.#stops.clear();
      return;
    }
    const at = Date.now();
    this.#readings = [...this.#readings.filter((x) => at - x.at <= WINDOW_MS + 500), { at, c }];
    const first = this.#readings[0]!;
    const seconds = Math.round((at - first.at) / 1000);
    const next = new Map<string, PacketPath>();
    for (const p of seconds > 0 ? blocked : []) {
      const series = counters.peerSeries(p.address, seconds);
      if (!series) continue; // no per-peer counts (no eBPF): the probe's own words stay
      const before = new Map(first.c.rules.map((x) => [x.rule, x.packets]));
      next.set(
        p.address,
        whereStopped({
          who: p.nickname ? `peer ${p.nickname} (${p.address})` : `peer ${p.address}`,
          address: p.address,
          seconds,
          underlayDev: c.underlayDev,
          device: c.device,
          port: c.port,
          fromPeer: series.reduce((n, s) => n + s.rx.packets, 0),
          toPeer: series.reduce((n, s) => n + s.tx.packets, 0),
          deviceRx: Math.max(0, c.deviceRx - first.c.deviceRx),
          rules: c.rules.map((x) => ({ ...x, packets: Math.max(0, x.packets - (before.get(x.rule) ?? 0)) })),
          ...(c.admitted ? { admitted: c.admitted } : {}),
        }),
      );
    }
    this.#stops = next;
  }

  /** The router's status with each blocked peer's stop in its data-plane detail. */
  annotate(r: RouterStatus): RouterStatus {
    if (this.#stops.size === 0) return r;
    return {
      ...r,
      peers: r.peers.map((p) => {
        const s = blockedPeer(p) ? this.#stops.get(p.address) : undefined;
        return s ? { ...p, dataPlane: { ...p.dataPlane, detail: s.text, stop: s.stop } } : p;
      }),
    };
  }
}

const blockedPeer = (p: PeerStatus): boolean =>
  !p.self && p.gossip === 'alive' && p.dataPlane.state === 'unreachable';
