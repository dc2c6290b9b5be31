import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intToIpv4, ipv4ToInt } from '../../src/net/cidr.js';
import { decodeFrame } from '../../src/telemetry/decode.js';
import { kernelFilter, macNumber, macText, SNAPLEN } from '../../src/telemetry/frame.js';
import { counterSample } from '../../src/telemetry/rates.js';
import { Talkers } from '../../src/telemetry/talkers.js';
import { readPcap } from '../helpers/pcapfile.js';

// Real frames captured with tcpdump on lab host h1 (the xnet bridge, and eth0 for UDP 4789) while one container
// pinged, sent 20 kB over TCP, asked a DNS question over UDP and ARPed a container on h2; expected.json is
// what tcpdump itself counts in the same files (fixtures/witness.sh).
const dir = join(import.meta.dirname, 'fixtures');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
type C = { packets: number; bytes: number };

/** The capture view's talkers over a whole file, cut to the snap length the live capture uses. */
function talkersOf(file: string): { rows: ReturnType<Talkers['top']>; last: number } {
  const t = new Talkers();
  let last = 0;
  for (const r of readPcap(join(dir, file))) {
    const caplen = Math.min(r.caplen, SNAPLEN);
    last = r.second * 1000 + Math.floor(r.micros / 1000);
    t.add(decodeFrame(r.data, caplen, r.len), last);
  }
  return { rows: t.top(last, 10_000), last };
}

const sum = (cs: C[]): C =>
  cs.reduce((a, c) => ({ packets: a.packets + c.packets, bytes: a.bytes + c.bytes }), {
    packets: 0,
    bytes: 0,
  });
const byProto = (rows: ReturnType<Talkers['top']>, ...protos: string[]): C =>
  sum(rows.filter((r) => protos.includes(r.proto)).map((r) => ({ packets: r.packets, bytes: r.bytes })));

describe('capture view talkers on real frames, against tcpdump', () => {
  it('counts every frame on the bridge once, per 5-tuple, and per protocol as tcpdump filters do', () => {
    const { rows } = talkersOf('bridge.pcap');
    const e = expected.bridge;
    expect(sum(rows.map((r) => ({ packets: r.packets, bytes: r.bytes })))).toEqual(e.all);
    expect(byProto(rows, 'TCP')).toEqual(e.tcp);
    expect(byProto(rows, 'UDP')).toEqual(e.udp);
    // tcpdump's witness counts `icmp or icmp6` (the automatic checks probe over IPv6 link-local).
    expect(byProto(rows, 'ICMP', 'ICMP6')).toEqual(e.icmp);
    expect(byProto(rows, 'ARP')).toEqual(e.arp);
    // A 5-tuple is one way: the TCP stream is two rows with ports, the ping two rows without.
    const tcp = rows.filter((r) => r.proto === 'TCP');
    expect(tcp.length).toBeGreaterThanOrEqual(2);
    for (const r of tcp) expect(r.sport !== null && r.dport !== null).toBe(true);
    for (const r of rows.filter((x) => x.proto === 'ICMP')) expect(r.sport).toBeNull();
  });

  it("counts a peer's tunnel by the inner 5-tuple and the whole outer length", () => {
    const { rows } = talkersOf('underlay.pcap');
    const e = expected.underlay;
    expect(sum(rows.map((r) => ({ packets: r.packets, bytes: r.bytes })))).toEqual(e.all);
    expect(byProto(rows, 'TCP')).toEqual(e.tcp);
    expect(byProto(rows, 'ICMP', 'ICMP6')).toEqual(e.icmp);
    expect(byProto(rows, 'ARP')).toEqual(e.arp);
    // Inner addresses (containers), not the underlay's.
    expect(rows.some((r) => r.src.startsWith('198.18.'))).toBe(false);
  });

  it('rates over the last seconds, busiest first, and a cap on 5-tuples', () => {
    const h = (src: string, len: number) => decodeFrame(udp(src), 42, len);
    const t = new Talkers(5_000, 2);
    for (let i = 0; i < 10; i++) t.add(h('10.0.0.1', 100), 1_000 + i * 100);
    t.add(h('10.0.0.2', 1000), 1_500);
    t.add(h('10.0.0.3', 60), 1_600);
    expect(t.flows).toBe(2);
    expect(t.overflow).toBe(1);
    const [a, b] = t.top(2_000, 5);
    // Over the one second seen so far: 10 packets of 100 bytes and 1 of 1000, the same bytes/s: more packets first.
    expect(a).toMatchObject({ src: '10.0.0.1', pps: 10, bps: 1000, packets: 10 });
    expect(b).toMatchObject({ src: '10.0.0.2', pps: 1, bps: 1000, sport: 5000, dport: 53 });
    t.add(h('10.0.0.2', 1000), 1_700);
    expect(t.top(2_000, 1)[0]).toMatchObject({ src: '10.0.0.2', bps: 2000 });
    // Ten seconds later nothing is in the window: no rate, the totals stay.
    expect(t.top(12_000, 5)[0]).toMatchObject({ pps: 0, bps: 0 });
    // Then by bytes since the start.
    expect(t.top(12_000, 5).map((r) => r.bytes)).toEqual([2000, 1000]);
  });

  it('round-trips MAC and IPv4 numbers', () => {
    expect(macText(macNumber('0e:b1:25:1c:aa:20'))).toBe('0e:b1:25:1c:aa:20');
    expect(macText(macNumber('ff:ff:ff:ff:ff:ff'))).toBe('ff:ff:ff:ff:ff:ff');
    expect(intToIpv4(ipv4ToInt('198.18.0.2'))).toBe('198.18.0.2');
    expect(intToIpv4(ipv4ToInt('255.1.0.254'))).toBe('255.1.0.254');
    expect(ipv4ToInt('255.1.0.254')).toBe(0xff0100fe);
    expect(ipv4ToInt('fe80::1')).toBeNaN();
  });
});

/** An Ethernet/IPv4/UDP frame from `src` to 10.0.0.9, port 5000 to 53. */
function udp(src: string): Uint8Array {
  const b = new Uint8Array(42);
  b[12] = 0x08;
  b[14] = 0x45;
  b[23] = 17;
  src.split('.').forEach((o, i) => (b[26 + i] = Number(o)));
  [10, 0, 0, 9].forEach((o, i) => (b[30 + i] = o));
  b[34] = 0x13;
  b[35] = 0x88;
  b[37] = 53;
  return b;
}

describe('the filter libpcap is given', () => {
  it('is never empty, so the kernel truncates to the snap length (an empty one copies whole packets)', () => {
    expect(kernelFilter('')).toBe('greater 0');
    expect(kernelFilter('  ')).toBe('greater 0');
    expect(kernelFilter('udp port 4789')).toBe('udp port 4789');
  });
});

describe('per-peer rates from tunnel counters (ovs-gre)', () => {
  const at = (rxP: number, rxB: number, txP: number, txB: number) => ({
    address: '198.18.0.2',
    rx: { packets: rxP, bytes: rxB },
    tx: { packets: txP, bytes: txB },
  });

  it('is the difference between two readings, with no protocol split', () => {
    const s = counterSample(5000, at(10, 1000, 20, 3000), at(15, 1600, 21, 3100));
    expect(s.t).toBe(5000);
    expect(s.rx).toEqual({ packets: 5, bytes: 600 });
    expect(s.tx).toEqual({ packets: 1, bytes: 100 });
    expect(Object.values(s.protocols).every((c) => c.packets === 0 && c.bytes === 0)).toBe(true);
  });

  it('is zero for a tunnel made anew (counters went back) or not seen before', () => {
    expect(counterSample(0, at(100, 9000, 100, 9000), at(3, 300, 2, 200)).rx).toEqual({
      packets: 0,
      bytes: 0,
    });
    expect(counterSample(0, undefined, at(3, 300, 2, 200)).tx).toEqual({ packets: 0, bytes: 0 });
  });
});
