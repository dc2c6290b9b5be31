import { readFileSync } from 'node:fs';

export interface PcapRecord {
  second: number;
  micros: number;
  caplen: number;
  len: number;
  data: Buffer;
}

/** Reads a classic pcap file (what `tcpdump -w` writes): 24-byte file header, then 16-byte record headers. */
export function readPcap(path: string): PcapRecord[] {
  const buf = readFileSync(path);
  const magic = buf.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4) throw new Error(`${path}: not a little-endian microsecond pcap file`);
  const out: PcapRecord[] = [];
  for (let off = 24; off + 16 <= buf.length;) {
    const caplen = buf.readUInt32LE(off + 8);
    out.push({
      second: buf.readUInt32LE(off),
      micros: buf.readUInt32LE(off + 4),
      caplen,
      len: buf.readUInt32LE(off + 12),
      data: buf.subarray(off + 16, off + 16 + caplen),
    });
    off += 16 + caplen;
  }
  return out;
}
