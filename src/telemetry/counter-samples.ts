import type { RateSample } from '../api/telemetry.js';
import { delta, EGRESS, INGRESS, sampleOf, sampleWhere, sumSamples, type Table } from './bpf/table.js';
import type { CountersInput, Link } from './counters.js';
import { STALE_AFTER_MS } from './health.js';
import { counterSample } from './rates.js';

/**
 * The per-second samples of the kernel counters (per container, per peer, the bridge's), made from two
 * readings in a row: of the eBPF map, or of the veths' interface counters where it did not load. Holds a
 * minute of each; what reads the kernel and hooks interfaces is counters.ts.
 */

/** A minute of history, as the issue asks. */
export const HISTORY_SECONDS = 60;

const push = (list: RateSample[], s: RateSample): void => {
  list.push(s);
  if (list.length > HISTORY_SECONDS) list.shift();
};

export class CounterSamples {
  #prev: { at: number; table: Table | null; links: Map<string, Link> } | undefined;
  #containers = new Map<string, RateSample[]>();
  #peers = new Map<string, RateSample[]>();
  #bridge: RateSample[] = [];

  /** The next reading starts anew (its source changed, or a read failed): no sample from across the gap. */
  forget(): void {
    this.#prev = undefined;
  }

  /** Nothing is counted (the router stopped): no series either. */
  clear(): void {
    this.#prev = undefined;
    this.#containers.clear();
    this.#peers.clear();
    this.#bridge = [];
  }

  /**
   * One reading: `table` is the eBPF map's (null: the interface counters in `veths` are the reading). A
   * sample is taken when the previous reading is recent and of the same source.
   */
  take(input: CountersInput, links: Map<string, Link>, veths: Map<string, Link>, table: Table | null): void {
    const prev = this.#prev;
    this.#prev = { at: input.at, table, links: veths };
    if (!prev || input.at - prev.at > STALE_AFTER_MS || (table === null) !== (prev.table === null)) return;
    const t = Math.floor(input.at / 1000) * 1000 - 1000;
    const d = table && prev.table ? delta(prev.table, table) : null;
    const seen: RateSample[] = [];
    const byId = new Map<string, RateSample[]>();
    const ports = new Set<number>();
    for (const c of input.containers) {
      const l = veths.get(c.hostIfname);
      if (!l || ports.has(l.ifindex)) continue;
      ports.add(l.ifindex);
      // The host end's egress is what the container receives; its own counters say the same (tx = to it).
      const s = d
        ? sampleOf(d, t, l.ifindex, input.lan ? null : '', EGRESS)
        : counterSample(t, swap(prev.links.get(c.hostIfname)), swap(l)!);
      if (c.id) byId.set(c.id, [...(byId.get(c.id) ?? []), s]);
      seen.push(s);
    }
    for (const [id, samples] of byId) {
      const list = this.#containers.get(id) ?? [];
      push(list, samples.length === 1 ? samples[0]! : sumSamples(t, samples));
      this.#containers.set(id, list);
    }
    const wanted = new Set(input.containers.map((c) => c.id));
    for (const id of [...this.#containers.keys()]) if (!wanted.has(id)) this.#containers.delete(id);
    push(this.#bridge, sumSamples(t, seen));
    const tunnel = input.tunnel && links.get(input.tunnel.device);
    if (d && input.lan) {
      // Per peer on a LAN: each label (lan-table.ts) over every port; a peer's rx is what reached containers.
      const labels = new Set([...d.values()].filter((e) => ports.has(e.key.ifindex)).map((e) => e.key.peer));
      for (const p of new Set([...labels, ...this.#peers.keys()])) {
        const list = this.#peers.get(p) ?? [];
        push(
          list,
          sampleWhere(d, t, (k) => ports.has(k.ifindex) && k.peer === p, EGRESS),
        );
        this.#peers.set(p, list);
      }
    } else if (d && tunnel) {
      const peers = new Set(
        [...d.values()]
          .filter((e) => e.key.ifindex === tunnel.ifindex && e.key.peer !== '')
          .map((e) => e.key.peer),
      );
      for (const p of new Set([...peers, ...this.#peers.keys()])) {
        const list = this.#peers.get(p) ?? [];
        push(list, sampleOf(d, t, tunnel.ifindex, p, INGRESS));
        this.#peers.set(p, list);
      }
    } else this.#peers.clear();
  }

  containerSeries(id: string, seconds: number): RateSample[] {
    return (this.#containers.get(id) ?? []).slice(-seconds);
  }

  /** A peer's series by its underlay address (on a LAN, by its label: lan-table.ts). */
  peerSeries(address: string, seconds: number): RateSample[] {
    return (this.#peers.get(address) ?? []).slice(-seconds);
  }

  bridgeSeries(seconds: number): RateSample[] {
    return this.#bridge.slice(-seconds);
  }
}

/** A host-side veth's counters from the container's side: what the host end sends, the container receives. */
function swap(
  l: Link | undefined,
):
  | { address: string; rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } }
  | undefined {
  return (
    l && {
      address: l.name,
      rx: { packets: l.txPackets, bytes: l.txBytes },
      tx: { packets: l.rxPackets, bytes: l.rxBytes },
    }
  );
}
