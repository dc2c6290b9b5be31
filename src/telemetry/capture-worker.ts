import { parentPort, workerData } from 'node:worker_threads';
import pcap from 'pcap';
import { SNAPLEN } from './frame.js';
import { Tally, type Role, type SecondCounts } from './tally.js';

/**
 * The capture thread. It runs in the agent's own network namespace (a thread shares its process's, and the
 * agent was started inside the host's), opens one libpcap handle per interface, counts header bytes only,
 * and posts each finished second to the agent. It never touches the agent's state.
 */

export interface CaptureSpec {
  name: string;
  role: Role;
  filter: string;
  promiscuous: boolean;
}

export interface CaptureWorkerData {
  captures: CaptureSpec[];
  /** How long after a second ends it is posted (packets of that second may still be in libpcap's buffer). */
  graceMs: number;
}

export interface PcapStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

export type WorkerMessage =
  | { type: 'opened'; name: string }
  | { type: 'error'; name: string; message: string }
  | { type: 'second'; name: string; counts: SecondCounts; stats: PcapStats; unparsed: number }
  | { type: 'closed' };

export type ControlMessage = { type: 'stop' };

interface Open {
  spec: CaptureSpec;
  session: pcap.PcapSession;
  tally: Tally;
}

// libpcap's only warning here is "no IPv4 address assigned" for the bridge, which is how it should be.
(pcap as { warningHandler: (x: string) => void }).warningHandler = () => undefined;

const data = workerData as CaptureWorkerData;
const port = parentPort!;
const open: Open[] = [];

for (const spec of data.captures) {
  try {
    const session = pcap.createSession(spec.name, {
      filter: spec.filter,
      snap_length: SNAPLEN,
      buffer_size: 32 * 1024 * 1024,
      buffer_timeout: 50,
      promiscuous: spec.promiscuous,
    });
    const tally = new Tally(spec.role);
    session.on('packet', (p: { buf: Buffer; header: Buffer }) => {
      const h = p.header;
      // struct pcap_pkthdr as the addon copies it: tv_sec, tv_usec, caplen, len (32 bits each, little-endian).
      tally.add(p.buf, h.readUInt32LE(8), h.readUInt32LE(12), h.readUInt32LE(0));
    });
    open.push({ spec, session, tally });
    port.postMessage({ type: 'opened', name: spec.name } satisfies WorkerMessage);
  } catch (err) {
    port.postMessage({
      type: 'error',
      name: spec.name,
      message: (err as Error).message,
    } satisfies WorkerMessage);
  }
}

function stats(session: pcap.PcapSession): PcapStats {
  const s = session.stats();
  return { received: s.ps_recv, dropped: s.ps_drop, ifDropped: s.ps_ifdrop };
}

function flush(before: number): void {
  for (const o of open) {
    const seconds = o.tally.take(before);
    if (seconds.length === 0)
      seconds.push({
        t: (before - 1) * 1000,
        packets: 0,
        bytes: 0,
        protocols: new Array<number>(10).fill(0),
        endpoints: [],
      });
    const st = stats(o.session);
    for (const counts of seconds)
      port.postMessage({
        type: 'second',
        name: o.spec.name,
        counts,
        stats: st,
        unparsed: o.tally.unparsed,
      } satisfies WorkerMessage);
  }
}

let timer: NodeJS.Timeout | undefined;
function schedule(): void {
  const now = Date.now();
  const wait = 1000 - (now % 1000) + data.graceMs;
  timer = setTimeout(() => {
    flush(Math.floor((Date.now() - data.graceMs) / 1000));
    schedule();
  }, wait);
}
schedule();

/**
 * Closing a handle for real: the addon's close() only breaks libpcap's loop, and the handle (with the
 * interface's promiscuous reference) is released at the next dispatch, which a quiet interface never
 * triggers. Dispatching once more releases it now.
 */
function release(o: Open): void {
  const s = o.session as unknown as {
    session: { close(): void; dispatch(b: Buffer, h: Buffer): number };
    buf: Buffer;
    header: Buffer;
  };
  o.session.removeAllListeners();
  s.session.close();
  try {
    s.session.dispatch(s.buf, s.header);
  } catch {
    /* already closed */
  }
}

port.on('message', (msg: ControlMessage) => {
  if (msg.type !== 'stop') return;
  clearTimeout(timer);
  for (const o of open) release(o);
  open.length = 0;
  port.postMessage({ type: 'closed' } satisfies WorkerMessage);
  port.close();
});
