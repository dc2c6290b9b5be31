import { fork, type ChildProcess } from 'node:child_process';
import type { CaptureInterface, CaptureSample, Count } from '../api/telemetry.js';
import type { CaptureConfig, CaptureSpec, PcapStats, ChildMessage } from './capture-child.js';
import type { SecondCounts } from './tally.js';

/** A minute of history, as the issue asks. */
export const HISTORY_SECONDS = 60;

export interface Second {
  t: number;
  counts: SecondCounts;
  endpoints: Map<number, number[]>;
  dropped: number;
}

interface Live {
  spec: CaptureSpec;
  state: 'capturing' | 'failed';
  error: string | null;
  stats: PcapStats;
  seconds: Second[];
  kernel: Map<number, Count>;
  kernelSource: string;
}

/** Keeps the newest `HISTORY_SECONDS` seconds, merging a late part of a second into the one already there. */
export function pushSecond(list: Second[], s: Second): void {
  const same = list.find((x) => x.t === s.t);
  if (same) {
    same.counts.packets += s.counts.packets;
    same.counts.bytes += s.counts.bytes;
    s.counts.protocols.forEach((v, i) => (same.counts.protocols[i]! += v));
    for (const [k, row] of s.endpoints) {
      const have = same.endpoints.get(k);
      if (have) row.forEach((v, i) => (have[i]! += v));
      else same.endpoints.set(k, row);
    }
    same.dropped += s.dropped;
    return;
  }
  list.push(s);
  list.sort((a, b) => a.t - b.t);
  while (list.length > HISTORY_SECONDS) list.shift();
}

/**
 * The agent's side of the capture process: starts and stops it, keeps what it posts, and answers with
 * per-second history. Every packet is counted in the capture process; only one message per interface per
 * second reaches the agent, so the agent's event loop never sees a packet.
 */
export class Capture {
  #child: ChildProcess | undefined;
  #live = new Map<string, Live>();
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;

  constructor(private readonly log: (msg: string) => void) {}

  get running(): boolean {
    return this.#child !== undefined;
  }

  start(specs: CaptureSpec[], kernelSource: (spec: CaptureSpec) => string): void {
    if (this.#child) return;
    this.#live = new Map(
      specs.map((spec) => [
        spec.name,
        {
          spec,
          state: 'capturing',
          error: null,
          stats: { received: 0, dropped: 0, ifDropped: 0 },
          seconds: [],
          kernel: new Map(),
          kernelSource: kernelSource(spec),
        },
      ]),
    );
    const config: CaptureConfig = { captures: specs, graceMs: 250 };
    const child = fork(new URL('./capture-child.js', import.meta.url), [], {
      env: { ...process.env, XNET_CAPTURE: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#closed = new Promise((r) => (this.#resolveClosed = r));
    child.on('message', (m: ChildMessage) => this.#receive(m));
    child.on('error', (err) => this.log(`capture process: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (this.#child === child) {
        // Not asked to stop: say so; the next reconcile starts a new one.
        this.#child = undefined;
        const why = `capture process exited (${signal ?? `code ${code}`})`;
        this.log(why);
        for (const l of this.#live.values()) Object.assign(l, { state: 'failed', error: why });
      }
      this.#resolveClosed?.();
    });
    this.#child = child;
  }

  #receive(m: ChildMessage): void {
    if (m.type === 'closed') return;
    const live = this.#live.get(m.name);
    if (!live) return;
    if (m.type === 'error') {
      live.state = 'failed';
      live.error = m.message;
      this.log(`capture on ${m.name}: ${m.message}`);
      return;
    }
    if (m.type === 'opened') return;
    const dropped = m.stats.dropped + m.stats.ifDropped - (live.stats.dropped + live.stats.ifDropped);
    live.stats = m.stats;
    pushSecond(live.seconds, {
      t: m.counts.t,
      counts: m.counts,
      endpoints: new Map(m.counts.endpoints),
      dropped: Math.max(0, dropped),
    });
  }

  /** Ends the capture process; the kernel closes its sockets, so no interface stays promiscuous. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const closed = this.#closed;
    if (child.connected) child.send({ type: 'stop' });
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 2_000).unref());
    if ((await Promise.race([closed, timeout])) === 'timeout') {
      this.log('capture process did not stop in 2 s; killing it');
      child.kill('SIGKILL');
      await closed;
    }
  }

  /** Records what the kernel's counters expect on a capture for the second starting at `t`. */
  kernelSecond(name: string, t: number, count: Count): void {
    const live = this.#live.get(name);
    if (!live) return;
    live.kernel.set(t, count);
    for (const k of live.kernel.keys()) if (k < t - HISTORY_SECONDS * 1000) live.kernel.delete(k);
  }

  seconds(name: string): Second[] {
    return this.#live.get(name)?.seconds ?? [];
  }

  specs(): CaptureSpec[] {
    return [...this.#live.values()].map((l) => l.spec);
  }

  interfaces(seconds: number): CaptureInterface[] {
    return [...this.#live.values()].map((l) => ({
      name: l.spec.name,
      role: l.spec.role,
      filter: l.spec.filter || '(all frames)',
      promiscuous: l.spec.promiscuous && this.running && l.state === 'capturing',
      state: !this.running ? 'stopped' : l.state,
      error: l.error,
      stats: l.stats,
      kernelSource: l.kernelSource,
      series: l.seconds.slice(-seconds).map((s): CaptureSample => ({
        t: s.t,
        captured: { packets: s.counts.packets, bytes: s.counts.bytes },
        kernel: l.kernel.get(s.t) ?? null,
        dropped: s.dropped,
      })),
    }));
  }
}
