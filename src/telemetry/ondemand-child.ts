import { writeFileSync } from 'node:fs';
import pcap from 'pcap';
import { describeFrame } from './decode.js';
import { pcapFile, type PcapRecord } from './pcap-writer.js';

/**
 * One on-demand capture, forked by the agent in the host's namespace: one port, a kernel filter, never
 * promiscuous. Takes up to `count` frames or waits `seconds`, writes them to `write` if asked, posts what it
 * saw and exits; its exit closes the packet socket. A process, not a worker thread: node-pcap 3.1.0's close()
 * only breaks libpcap's loop (the handle is freed at the next packet, which a quiet interface never brings),
 * and terminating a worker that still holds the addon's poll handles aborts the whole agent.
 */

export interface OnDemandConfig {
  dev: string;
  filter: string;
  count: number;
  seconds: number;
  write: string | null;
  snaplen: number;
}

export interface OnDemandPacket {
  t: number;
  len: number;
  summary: string;
}

export type OnDemandMessage =
  | { type: 'done'; packets: OnDemandPacket[]; received: number; dropped: number }
  | { type: 'error'; message: string };

const cfg = JSON.parse(process.env.XNET_ONDEMAND ?? '{}') as OnDemandConfig;
const post = (m: OnDemandMessage) => process.send?.(m, () => process.exit(0));
process.on('disconnect', () => process.exit(0));
(pcap as { warningHandler: (x: string) => void }).warningHandler = () => undefined;

const records: PcapRecord[] = [];
const packets: OnDemandPacket[] = [];
let session: pcap.PcapSession;
let done = false;

function finish(): void {
  if (done) return;
  done = true;
  const s = session.stats();
  session.removeAllListeners();
  try {
    if (cfg.write) writeFileSync(cfg.write, pcapFile(records, cfg.snaplen));
    post({ type: 'done', packets, received: s.ps_recv, dropped: s.ps_drop + s.ps_ifdrop });
  } catch (err) {
    post({ type: 'error', message: (err as Error).message });
  }
}

try {
  session = pcap.createSession(cfg.dev, {
    filter: cfg.filter,
    snap_length: cfg.snaplen,
    buffer_timeout: 50,
    promiscuous: false,
  });
  session.on('packet', (p: { buf: Buffer; header: Buffer }) => {
    if (records.length >= cfg.count) return;
    const h = p.header;
    const sec = h.readUInt32LE(0);
    const usec = h.readUInt32LE(4);
    const caplen = h.readUInt32LE(8);
    const len = h.readUInt32LE(12);
    const data = Buffer.from(p.buf.subarray(0, caplen));
    records.push({ sec, usec, len, data });
    packets.push({ t: sec * 1000 + Math.floor(usec / 1000), len, summary: describeFrame(data, caplen, len) });
    if (records.length >= cfg.count) finish();
  });
  setTimeout(finish, cfg.seconds * 1000);
} catch (err) {
  post({ type: 'error', message: (err as Error).message });
}
