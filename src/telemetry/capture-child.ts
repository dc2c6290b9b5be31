import pcap from 'pcap';
import { kernelFilter, SNAPLEN } from './frame.js';
import { Tally, type Role, type SecondCounts } from './tally.js';

/**
 * The capture process, forked by the agent. It inherits the agent's network namespace (the agent was started
 * inside the host's), opens one libpcap handle per interface, counts header bytes only, and posts each
 * finished second to the agent. It never touches the agent's state.
 *
 * A process rather than a worker thread: node-pcap 3.1.0 cannot release a handle on a quiet interface (its
 * close() only breaks libpcap's loop; in non-blocking mode the handle is freed at the next packet), and
 * terminating a worker that still holds the addon's poll handles aborts the whole agent (node asserts in
 * uv_loop_close). Ending a process always works: the kernel closes its packet sockets, and with them the
 * interface's promiscuous reference, even if it is SIGKILLed or the agent dies.
 */

export interface CaptureSpec {
  name: string;
  role: Role;
  filter: string;
  promiscuous: boolean;
}

export interface CaptureConfig {
  captures: CaptureSpec[];
  /** How long after a second ends it is posted (packets of that second may still be in libpcap's buffer). */
  graceMs: number;
}

export interface PcapStats {
  received: number;
  dropped: number;
  ifDropped: number;
}

export type ChildMessage =
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

const data = JSON.parse(process.env.XNET_CAPTURE ?? '{"captures":[],"graceMs":250}') as CaptureConfig;
const parent = {
  send: (m: ChildMessage) => process.send?.(m),
};
// The agent is gone (its end of the IPC channel closed): so are we.
process.on('disconnect', () => process.exit(0));
const open: Open[] = [];

for (const spec of data.captures) {
  try {
    const session = pcap.createSession(spec.name, {
      filter: kernelFilter(spec.filter),
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
    parent.send({ type: 'opened', name: spec.name } satisfies ChildMessage);
  } catch (err) {
    parent.send({
      type: 'error',
      name: spec.name,
      message: (err as Error).message,
    } satisfies ChildMessage);
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
      parent.send({
        type: 'second',
        name: o.spec.name,
        counts,
        stats: st,
        unparsed: o.tally.unparsed,
      } satisfies ChildMessage);
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

process.on('message', (msg: ControlMessage) => {
  if (msg.type !== 'stop') return;
  clearTimeout(timer);
  for (const o of open) o.session.removeAllListeners();
  parent.send({ type: 'closed' } satisfies ChildMessage);
  // Exiting closes every packet socket; the kernel drops the promiscuous references with them.
  process.exit(0);
});
