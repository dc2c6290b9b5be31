/** A classic pcap file (what `tcpdump -w` writes and Wireshark opens): Ethernet, microsecond stamps. Pure. */

export interface PcapRecord {
  /** Seconds and microseconds since the epoch, as libpcap stamped the packet. */
  sec: number;
  usec: number;
  /** The length on the wire; `data` may be shorter (the snap length). */
  len: number;
  data: Uint8Array;
}

const LINKTYPE_ETHERNET = 1;

export function pcapFile(records: readonly PcapRecord[], snaplen: number): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(snaplen, 16);
  head.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts: Buffer[] = [head];
  for (const r of records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(r.sec, 0);
    h.writeUInt32LE(r.usec, 4);
    h.writeUInt32LE(r.data.length, 8);
    h.writeUInt32LE(r.len, 12);
    parts.push(h, Buffer.from(r.data));
  }
  return Buffer.concat(parts);
}
