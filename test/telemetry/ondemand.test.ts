import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureParams } from '../../src/cli/capture.js';
import { XnetError } from '../../src/errors.js';
import { describeFrame } from '../../src/telemetry/decode.js';
import { pcapFile } from '../../src/telemetry/pcap-writer.js';
import { readPcap } from '../helpers/pcapfile.js';

// Real frames tcpdump wrote on lab host h1 (the bridge, and eth0's VXLAN), as the capture tests use them.
const fixtures = join(import.meta.dirname, 'fixtures');

describe('on-demand capture, the pure parts', () => {
  it('writes a pcap file that reads back frame for frame', () => {
    const frames = readPcap(join(fixtures, 'bridge.pcap')).slice(0, 20);
    const file = join(mkdtempSync(join(tmpdir(), 'xnet-pcap-')), 'out.pcap');
    writeFileSync(
      file,
      pcapFile(
        frames.map((f) => ({ sec: f.second, usec: f.micros, len: f.len, data: f.data })),
        65_535,
      ),
    );
    const back = readPcap(file);
    expect(back).toHaveLength(20);
    back.forEach((b, i) => {
      expect([b.second, b.micros, b.len, b.caplen]).toEqual([
        frames[i]!.second,
        frames[i]!.micros,
        frames[i]!.len,
        frames[i]!.caplen,
      ]);
      expect(Buffer.compare(b.data, frames[i]!.data)).toBe(0);
    });
  });

  it('describes frames as tcpdump would name them, VXLAN by its inner frame', () => {
    const lines = readPcap(join(fixtures, 'bridge.pcap')).map((f) => describeFrame(f.data, f.caplen, f.len));
    expect(lines.some((l) => /^IP [\d.]+ > [\d.]+: ICMP echo request, length \d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^IP [\d.]+\.\d+ > [\d.]+\.\d+: TCP \[S\], length \d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^IP [\d.]+\.\d+ > [\d.]+\.\d+: TCP \[P\.\], length \d+$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ARP (who-has|[\d.]+ is-at)/.test(l))).toBe(true);
    expect(lines.some((l) => /^IP6 fe80::\S+ > fe80::\S+: ICMP6 echo reply, length \d+$/.test(l))).toBe(true);
    const outer = readPcap(join(fixtures, 'underlay.pcap')).map((f) =>
      describeFrame(f.data, f.caplen, f.len),
    );
    expect(outer.length).toBeGreaterThan(0);
    for (const l of outer) expect(l).toMatch(/^IP 198\.18\.0\.\d+ > 198\.18\.0\.\d+: VXLAN vni \d+: /);
    expect(describeFrame(new Uint8Array(10), 10, 10)).toBe('truncated frame, 10 bytes');
  });

  it('takes CONTAINER or peer NAME and refuses anything else with the field named', () => {
    const o = { count: '5', seconds: '10' };
    expect(captureParams(['web'], { ...o, write: 'x.pcap' }, '/tmp')).toEqual({
      container: 'web',
      count: 5,
      seconds: 10,
      write: '/tmp/x.pcap',
    });
    expect(captureParams(['peer', 'two'], { ...o, filter: 'icmp' }, '/')).toMatchObject({
      peer: 'two',
      filter: 'icmp',
    });
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as XnetError).field;
      }
      return undefined;
    };
    expect(field(() => captureParams(['peer'], o, '/'))).toBe('target');
    expect(field(() => captureParams(['a', 'b'], o, '/'))).toBe('target');
    expect(field(() => captureParams(['web'], { ...o, count: '0' }, '/'))).toBe('count');
    expect(field(() => captureParams(['web'], { ...o, seconds: 'ten' }, '/'))).toBe('seconds');
  });
});
