import { macAt, parseVxlan, protocolAt, type Vxlan } from './frame.js';

/**
 * Per-second counts of one capture, built packet by packet in the capture process. Pure: feed it frames (bytes, the
 * captured length, the length on the wire, the second it was seen) and take finished seconds out.
 *
 * One row per endpoint (a MAC on the bridge, an outer IPv4 address on the underlay):
 *   [rxPackets, rxBytes, txPackets, txBytes, tcpP, udpP, icmpP, arpP, otherP, tcpB, udpB, icmpB, arpB, otherB]
 * "tx" is a frame the endpoint sent (source), "rx" one addressed to it (destination).
 */
export const ROW = 14;
export const RX_P = 0;
export const RX_B = 1;
export const TX_P = 2;
export const TX_B = 3;
export const PROTO_P = 4;
export const PROTO_B = 9;

/** At most this many endpoints are counted per second; the rest only in the totals (a MAC flood cannot eat memory). */
export const MAX_ENDPOINTS = 4096;

export interface SecondCounts {
  /** Start of the second, ms since the epoch. */
  t: number;
  packets: number;
  bytes: number;
  /** [tcp, udp, icmp, arp, other] packets then bytes. */
  protocols: number[];
  /** Endpoint key (MAC or IPv4 as a number) -> its row. */
  endpoints: [number, number[]][];
}

interface Bucket {
  packets: number;
  bytes: number;
  protocols: Float64Array;
  endpoints: Map<number, Float64Array>;
}

const newBucket = (): Bucket => ({
  packets: 0,
  bytes: 0,
  protocols: new Float64Array(10),
  endpoints: new Map(),
});

export type Role = 'bridge' | 'underlay';

export class Tally {
  readonly #buckets = new Map<number, Bucket>();
  readonly #vx: Vxlan = { src: 0, dst: 0, inner: 0 };
  /** Frames the parser could not read (too short, not IPv4 VXLAN on the underlay). */
  unparsed = 0;

  constructor(readonly role: Role) {}

  add(buf: Uint8Array, caplen: number, len: number, second: number): void {
    let b = this.#buckets.get(second);
    if (!b) this.#buckets.set(second, (b = newBucket()));
    let proto: number;
    let src: number;
    let dst: number;
    if (this.role === 'bridge') {
      if (caplen < 14) {
        this.unparsed++;
        return;
      }
      dst = macAt(buf, 0);
      src = macAt(buf, 6);
      proto = protocolAt(buf, 0, caplen);
    } else {
      if (!parseVxlan(buf, caplen, this.#vx)) {
        this.unparsed++;
        return;
      }
      src = this.#vx.src;
      dst = this.#vx.dst;
      proto = this.#vx.inner;
    }
    b.packets++;
    b.bytes += len;
    b.protocols[proto]!++;
    b.protocols[5 + proto]! += len;
    const s = this.#row(b, src);
    if (s) {
      s[TX_P]!++;
      s[TX_B]! += len;
      s[PROTO_P + proto]!++;
      s[PROTO_B + proto]! += len;
    }
    if (dst === src) return;
    const d = this.#row(b, dst);
    if (d) {
      d[RX_P]!++;
      d[RX_B]! += len;
      d[PROTO_P + proto]!++;
      d[PROTO_B + proto]! += len;
    }
  }

  #row(b: Bucket, key: number): Float64Array | undefined {
    let row = b.endpoints.get(key);
    if (!row && b.endpoints.size < MAX_ENDPOINTS) b.endpoints.set(key, (row = new Float64Array(ROW)));
    return row;
  }

  /** Seconds (unix seconds) before `before`, oldest first; they are forgotten here. */
  take(before: number): SecondCounts[] {
    const done = [...this.#buckets.keys()].filter((s) => s < before).sort((a, b) => a - b);
    return done.map((second) => {
      const b = this.#buckets.get(second)!;
      this.#buckets.delete(second);
      return {
        t: second * 1000,
        packets: b.packets,
        bytes: b.bytes,
        protocols: [...b.protocols],
        endpoints: [...b.endpoints].map(([k, row]) => [k, [...row]] as [number, number[]]),
      };
    });
  }
}
