import { inNetns, type NetnsPath } from '../net/netns.js';
import { startLines, type LineChild } from '../net/spawner.js';

/** fping, the one module that runs it for ping checks: one long-lived `fping -l` per source namespace. */

export interface FpingLine {
  /** When fping printed it, ms since the epoch (its -D timestamp). */
  t: number;
  target: string;
  seq: number;
  rttMs: number | null;
}

const LINE = /^\[(\d+\.\d+)\]\s+(\S+)\s+:\s+\[(\d+)\],\s+(?:\d+ bytes,\s+([\d.]+) ms|timed out)/;

/** One line of `fping -l -D -e`: `[1795596733.20243] 198.18.0.2 : [0], 64 bytes, 0.084 ms (...)` or `..., timed out (...)`. */
export function parseFpingLine(line: string): FpingLine | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  return {
    t: Math.round(Number(m[1]) * 1000),
    target: m[2]!,
    seq: Number(m[3]),
    rttMs: m[4] !== undefined ? Number(m[4]) : null,
  };
}

export interface LoopOptions {
  netns: NetnsPath;
  targets: string[];
  intervalMs: number;
  timeoutMs: number;
  /** Bind to this interface (`-I`): probes to link-local targets leave where the probe point is. */
  iface?: string;
  /** ICMP payload bytes, sent with don't-fragment (`-b N -M`): full-size probes; fping's default otherwise. */
  size?: number;
  onProbe: (p: FpingLine) => void;
  onExit: (code: number | null, stderr: string) => void;
}

/**
 * `fping -l`: every target probed every `intervalMs`, each answer or timeout printed as it happens. Started
 * through the agent's spawner (net/spawner.ts): a probe loop is restarted at joins, and a fork of the agent for
 * each was most of its process starts while a mesh formed.
 */
export class FpingLoop {
  readonly #child: LineChild;
  #stderr = '';
  #stopped = false;
  #ended = false;
  readonly #exited: Promise<void>;

  constructor(readonly o: LoopOptions) {
    const [file, args] = inNetns(o.netns, 'fping', [
      '-l',
      '-D',
      '-e',
      '-p',
      String(o.intervalMs),
      '-t',
      String(o.timeoutMs),
      // 1 ms between packets to different targets (fping's default 10, ~20 under load): a new loop of 49 peers
      // sent its first round over a second; -p alone sets the rate, so the average is the same.
      '-i',
      '1',
      ...(o.iface !== undefined ? ['-I', o.iface] : []),
      ...(o.size !== undefined ? ['-b', String(o.size), '-M'] : []),
      ...o.targets,
    ]);
    let exited: () => void = () => undefined;
    this.#exited = new Promise((done) => (exited = done));
    this.#child = startLines(file, args, {
      line: (l) => {
        const p = parseFpingLine(l);
        if (p) o.onProbe(p);
      },
      // ICMP errors (unreachable) are printed here too; keep the tail for the operator.
      stderr: (d) => (this.#stderr = (this.#stderr + d).slice(-2000)),
      exit: (code) => {
        this.#ended = true;
        exited();
        if (!this.#stopped) o.onExit(code, this.#stderr.trim());
      },
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Ends the process; resolves once it is gone (SIGKILL after a second), so its namespace is no longer held. */
  stop(): Promise<void> {
    this.#stopped = true;
    if (this.#ended) return Promise.resolve();
    this.#child.kill('SIGTERM');
    const kill = setTimeout(() => this.#child.kill('SIGKILL'), 1_000);
    return this.#exited.finally(() => clearTimeout(kill));
  }
}

/** `fping -C N -q` summary lines: `172.25.11.24 : 0.05 0.06 - 0.07` (a dash for each lost probe). */
export function parseFpingCounts(output: string): Map<string, (number | null)[]> {
  const out = new Map<string, (number | null)[]>();
  for (const line of output.split('\n')) {
    const m = /^(\S+)\s+:\s+((?:[\d.]+|-)(?:\s+(?:[\d.]+|-))*)\s*$/.exec(line.trim());
    if (!m) continue;
    out.set(
      m[1]!,
      m[2]!.split(/\s+/).map((v) => (v === '-' ? null : Number(v))),
    );
  }
  return out;
}
