import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Params, Result } from '../api/index.js';
import {
  LEASE_MS,
  MAX_CAPTURES,
  MAX_LINES,
  REPORT_MS,
  type CaptureLine,
  type CaptureRead,
  type CaptureState,
} from '../api/capture.js';
import { failed } from '../errors.js';
// Types only: importing the child's code would run it (open a capture) in the agent.
import type { LiveConfig, LiveMessage } from './live-child.js';
import { forkCapture, resolveCapture, type OnDemandDeps } from './ondemand.js';

/** A live capture that has not reported for this long is stale (a stopped or hung process). */
const STALE_MS = 4 * REPORT_MS;
/** How long the process may take to open the port. */
const OPEN_TIMEOUT_MS = 10_000;

interface Session {
  read: Omit<CaptureRead, 'lines' | 'ageMs'>;
  lines: CaptureLine[];
  child: ChildProcess;
  exited: Promise<void>;
  lastReport: number;
  lastRead: number;
}

/**
 * The capture view's captures (`capture.open|read|close`): one process each, opened on one port, read in
 * bounded frames, ended on close, when nobody reads it for LEASE_MS, or when the agent stops.
 */
export class CaptureSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly deps: OnDemandDeps,
    private readonly log: (msg: string) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.#timer = setInterval(() => this.#expire(), 1_000);
    this.#timer.unref();
  }

  async open(p: Params<'capture.open'>): Promise<Result<'capture.open'>> {
    if (this.#sessions.size >= MAX_CAPTURES)
      throw failed(
        `${MAX_CAPTURES} captures are already open on this host`,
        'close one (Esc in its capture view) and try again',
        'in_use',
      );
    // The same checks as the capture command: the target exists, the filter compiles (exit 2, nothing opened).
    const { dev, filter, target, netns } = await resolveCapture(this.deps, p);
    const cfg: LiveConfig = { dev, filter };
    const child = forkCapture('live-child', { XNET_LIVE_CAPTURE: JSON.stringify(cfg) }, netns);
    const id = randomBytes(6).toString('hex');
    const t = this.now();
    const s: Session = {
      read: {
        id,
        target,
        interface: dev,
        filter,
        promiscuous: false,
        state: 'starting',
        reason: null,
        startedAt: t,
        latest: 0,
        skipped: 0,
        talkers: [],
        flows: 0,
        overflow: 0,
        packets: 0,
        received: 0,
        dropped: 0,
      },
      lines: [],
      child,
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
      lastReport: t,
      lastRead: t,
    };
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('did not open the port within 10 s')), OPEN_TIMEOUT_MS);
      child.on('message', (m: LiveMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(m.message));
        } else this.#report(s, m);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`capture process exited (${signal ?? `code ${code}`})`));
        this.#ended(
          s,
          code === 0 || signal === 'SIGTERM' ? 'ended' : 'failed',
          `process exited (${signal ?? `code ${code}`})`,
        );
      });
    });
    try {
      await ready;
    } catch (err) {
      child.kill('SIGKILL');
      await s.exited;
      throw failed(`capture on ${dev}: ${(err as Error).message}`);
    }
    s.read.state = 'live';
    s.lastReport = this.now();
    this.#sessions.set(id, s);
    this.log(`capture ${id} opened on ${dev} (${target}), filter "${filter}"`);
    return this.#answer(s, 0);
  }

  read(p: Params<'capture.read'>): Result<'capture.read'> {
    const s = this.#sessions.get(p.id);
    if (!s) throw failed(`no capture ${p.id} (it was closed or expired)`, 'open it again', 'not_found');
    s.lastRead = this.now();
    const age = this.now() - s.lastReport;
    if (s.read.state === 'live' && age > STALE_MS) s.read.state = 'stale';
    return this.#answer(s, p.after ?? 0);
  }

  async close(p: Params<'capture.close'>): Promise<Result<'capture.close'>> {
    const s = this.#sessions.get(p.id);
    if (!s) return { closed: false };
    await this.#end(s, 'closed');
    return { closed: true };
  }

  /** Ends every capture and waits for their processes (the agent is stopping). */
  async closeAll(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([...this.#sessions.values()].map((s) => this.#end(s, 'the agent stopped')));
  }

  #answer(s: Session, after: number): CaptureRead {
    const lines = s.lines.filter((l) => l.seq > after).slice(-MAX_LINES);
    return { ...s.read, lines, ageMs: this.now() - s.lastReport };
  }

  #report(s: Session, m: Extract<LiveMessage, { type: 'report' }>): void {
    s.lastReport = this.now();
    if (s.read.state === 'stale') s.read.state = 'live';
    for (const l of m.lines) s.lines.push({ ...l, seq: ++s.read.latest });
    if (s.lines.length > MAX_LINES) s.lines.splice(0, s.lines.length - MAX_LINES);
    const { talkers, flows, overflow, packets, received, dropped } = m;
    s.read = {
      ...s.read,
      talkers,
      flows,
      overflow,
      packets,
      received,
      dropped,
      skipped: s.read.skipped + m.skipped,
    };
  }

  #ended(s: Session, state: CaptureState, reason: string): void {
    if (s.read.state === 'ended' || s.read.state === 'failed') return;
    s.read.state = state;
    s.read.reason = reason;
  }

  async #end(s: Session, why: string): Promise<void> {
    this.#sessions.delete(s.read.id);
    s.child.kill('SIGTERM');
    // A process stuck in the addon does not get to hold its packet socket for long.
    const hard = setTimeout(() => s.child.kill('SIGKILL'), 2_000);
    await s.exited;
    clearTimeout(hard);
    this.log(`capture ${s.read.id} on ${s.read.interface} ended: ${why}`);
  }

  #expire(): void {
    const t = this.now();
    for (const s of this.#sessions.values()) {
      if (t - s.lastRead > LEASE_MS) void this.#end(s, `nobody read it for ${LEASE_MS / 1000} s`);
      // A process that died is kept (so the view can say why) until its reader goes or closes it.
    }
  }
}
