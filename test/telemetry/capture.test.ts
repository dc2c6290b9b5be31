import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intToIpv4, ipv4ToInt } from '../../src/net/cidr.js';
import { kernelFilter, macNumber, macText } from '../../src/telemetry/frame.js';
import { Tally, type SecondCounts } from '../../src/telemetry/tally.js';
import { pushSecond, type Second } from '../../src/telemetry/capture.js';
import { bridgeSample, counterSample, endpointSample, kernelExpected } from '../../src/telemetry/rates.js';
import type { InterfaceCounters } from '../../src/api/interfaces.js';
import { readPcap } from '../helpers/pcapfile.js';

// Real frames captured with tcpdump on lab host h1 (the xnet bridge, and eth0 for UDP 4789) while one container
// pinged, sent 20 kB over TCP, asked a DNS question over UDP and ARPed a container on h2; expected.json is
// what tcpdump itself counts in the same files (fixtures/witness.sh).
const dir = join(import.meta.dirname, 'fixtures');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
type C = { packets: number; bytes: number };

function tally(file: string, role: 'bridge' | 'underlay'): Second[] {
  const t = new Tally(role);
  for (const r of readPcap(join(dir, file))) t.add(r.data, r.caplen, r.len, r.second);
  const list: Second[] = [];
  for (const s of t.take(Infinity))
    pushSecond(list, { t: s.t, counts: s, endpoints: new Map(s.endpoints), dropped: 0 });
  expect(t.unparsed).toBe(0);
  return list;
}

const sum = (cs: C[]): C =>
  cs.reduce((a, c) => ({ packets: a.packets + c.packets, bytes: a.bytes + c.bytes }), {
    packets: 0,
    bytes: 0,
  });

describe('capture counting on real frames, against tcpdump', () => {
  it('counts the bridge per container MAC and per protocol as tcpdump filters do', () => {
    const seconds = tally('bridge.pcap', 'bridge');
    const e = expected.bridge;
    expect(sum(seconds.map((s) => ({ packets: s.counts.packets, bytes: s.counts.bytes })))).toEqual(e.all);
    const web = seconds.map((s) => endpointSample(s, macNumber(e.web), false));
    expect(sum(web.map((s) => s.tx))).toEqual(e.webTx);
    expect(sum(web.map((s) => s.rx))).toEqual(e.webRx);
    expect(sum(seconds.map((s) => endpointSample(s, macNumber(e.db), false).rx))).toEqual(e.dbRx);
    const bridge = seconds.map((s) => bridgeSample(s, [macNumber(e.web)]));
    for (const p of ['tcp', 'udp', 'icmp', 'arp'] as const)
      expect(sum(bridge.map((s) => s.protocols[p])), p).toEqual(e[p]);
    expect(sum(bridge.map((s) => s.tx))).toEqual(e.webTx);
    expect(e.tcp.packets).toBeGreaterThan(0);
    expect(e.udp.packets).toBeGreaterThan(0);
    expect(e.arp.packets).toBeGreaterThan(0);
  });

  it('counts the underlay per peer (outer address) and by the protocol inside VXLAN', () => {
    const seconds = tally('underlay.pcap', 'underlay');
    const e = expected.underlay;
    const peer = seconds.map((s) => endpointSample(s, ipv4ToInt(e.peer), true));
    expect(sum(peer.map((s) => s.rx))).toEqual(e.fromPeer);
    expect(sum(peer.map((s) => s.tx))).toEqual(e.toPeer);
    for (const p of ['tcp', 'udp', 'icmp', 'arp'] as const)
      expect(sum(peer.map((s) => s.protocols[p])), p).toEqual(e[p]);
    // Every frame on the bridge crossed the overlay once, 50 bytes longer (outer headers).
    expect(e.all.packets).toBe(expected.bridge.all.packets);
    expect(e.all.bytes).toBe(expected.bridge.all.bytes + 50 * e.all.packets);
  });

  it('buckets by the packet timestamp and merges a late part of a second', () => {
    const recs = readPcap(join(dir, 'bridge.pcap'));
    const t = new Tally('bridge');
    const first = recs[0]!.second;
    for (const r of recs) t.add(r.data, r.caplen, r.len, r.second);
    const early = t.take(first + 1);
    expect(early.map((s) => s.t)).toEqual([first * 1000]);
    expect(early[0]!.packets).toBe(recs.filter((r) => r.second === first).length);
    const list: Second[] = [];
    const add = (s: SecondCounts) =>
      pushSecond(list, { t: s.t, counts: s, endpoints: new Map(s.endpoints), dropped: 1 });
    const firstCount = early[0]!.packets;
    early.forEach(add);
    const late = new Tally('bridge');
    late.add(recs[0]!.data, recs[0]!.caplen, recs[0]!.len, first);
    late.take(Infinity).forEach(add);
    expect(list).toHaveLength(1);
    expect(list[0]!.counts.packets).toBe(firstCount + 1);
    expect(list[0]!.dropped).toBe(2);
  });

  it('ignores a frame too short to have an Ethernet header, and keeps a minute of history', () => {
    const t = new Tally('bridge');
    t.add(new Uint8Array(10), 10, 10, 5);
    expect(t.unparsed).toBe(1);
    const list: Second[] = [];
    for (let i = 0; i < 75; i++)
      pushSecond(list, {
        t: i * 1000,
        counts: { t: i * 1000, packets: 1, bytes: 1, protocols: [], endpoints: [] },
        endpoints: new Map(),
        dropped: 0,
      });
    expect(list).toHaveLength(60);
    expect(list[0]!.t).toBe(15_000);
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

describe('kernel cross-check', () => {
  const c = (name: string, master: string | null, rx: number, tx: number): InterfaceCounters => ({
    name,
    kind: null,
    master,
    operstate: 'UP',
    rxBytes: rx * 100,
    txBytes: tx * 100,
    rxPackets: rx,
    txPackets: tx,
    rxErrors: 0,
    txErrors: 0,
    rxDropped: 0,
    txDropped: 0,
  });
  it('expects on the bridge what its ports received plus what the host sent into it', () => {
    const before = [
      c('xnet', null, 0, 0),
      c('vx1', 'xnet', 10, 10),
      c('xnet-vx', 'xnet', 5, 5),
      c('eth0', null, 1, 1),
    ];
    const after = [
      c('xnet', null, 3, 2),
      c('vx1', 'xnet', 17, 30),
      c('xnet-vx', 'xnet', 9, 5),
      c('eth0', null, 100, 100),
    ];
    expect(kernelExpected('bridge', 'xnet', 'xnet-vx', before, after)).toEqual({
      packets: 2 + 7 + 4,
      bytes: 1300,
    });
    expect(kernelExpected('underlay', 'xnet', 'xnet-vx', before, after)).toEqual({
      packets: 4,
      bytes: 400 + 200,
    });
    expect(kernelExpected('bridge', 'xnet', 'xnet-vx', [], after)).toBeNull();
  });
});

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
