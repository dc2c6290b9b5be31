import pcap from 'pcap';
import type { CaptureLine, TalkerRow } from '../api/capture.js';
import { LINES_PER_REPORT, MAX_TALKERS, REPORT_MS } from '../api/capture.js';
import { decodeFrame } from './decode.js';
import { SNAPLEN } from './frame.js';
import { Talkers } from './talkers.js';

/**
 * The capture view's process, forked by the agent (capture-sessions.ts): one port, a kernel filter, never
 * promiscuous, the kernel copying only the header bytes (SNAPLEN). It decodes each frame, counts it by 5-tuple
 * and reports at most twice a second, at most LINES_PER_REPORT lines each time, until the agent kills it or goes
 * away. A process, not a worker, for the reason ondemand-child.ts gives; its exit closes the packet socket.
 */

export interface LiveConfig {
  dev: string;
  filter: string;
}

export type LiveMessage =
  | { type: 'ready' }
  | {
      type: 'report';
      lines: Omit<CaptureLine, 'seq'>[];
      skipped: number;
      talkers: TalkerRow[];
      flows: number;
      overflow: number;
      packets: number;
      received: number;
      dropped: number;
    }
  | { type: 'error'; message: string };

const cfg = JSON.parse(process.env.XNET_LIVE_CAPTURE ?? '{}') as LiveConfig;
const post = (m: LiveMessage) => process.send?.(m);
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
(pcap as { warningHandler: (x: string) => void }).warningHandler = () => undefined;

const talkers = new Talkers();
let lines: Omit<CaptureLine, 'seq'>[] = [];
let skipped = 0;
let packets = 0;

// Only as the agent's forked child with a port to open: imported anywhere else, it must not open one.
if (!process.send || !cfg.dev)
  throw new Error('live-child.ts runs only as the capture process the agent forks');

try {
  const session = pcap.createSession(cfg.dev, {
    filter: cfg.filter,
    snap_length: SNAPLEN,
    buffer_timeout: 50,
    promiscuous: false,
  });
  session.on('packet', (p: { buf: Buffer; header: Buffer }) => {
    const h = p.header;
    const t = h.readUInt32LE(0) * 1000 + Math.floor(h.readUInt32LE(4) / 1000);
    const header = decodeFrame(p.buf, h.readUInt32LE(8), h.readUInt32LE(12));
    packets++;
    talkers.add(header, t);
    if (lines.length < LINES_PER_REPORT) lines.push({ t, ...header });
    else skipped++;
  });
  post({ type: 'ready' });
  setInterval(() => {
    const s = session.stats();
    post({
      type: 'report',
      lines,
      skipped,
      talkers: talkers.top(Date.now(), MAX_TALKERS),
      flows: talkers.flows,
      overflow: talkers.overflow,
      packets,
      received: s.ps_recv,
      dropped: s.ps_drop + s.ps_ifdrop,
    });
    lines = [];
    skipped = 0;
  }, REPORT_MS);
} catch (err) {
  process.send?.({ type: 'error', message: (err as Error).message } satisfies LiveMessage, () =>
    process.exit(1),
  );
}
