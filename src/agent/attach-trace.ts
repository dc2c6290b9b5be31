/**
 * Where one attach's time goes, step by step, for bench/attach's breakdown: on when the agent runs with
 * XNET_TRACE_ATTACH=1, one log line per attach ("attach-trace web1: inspect 2.1, plan 0.4, ... total 9.8").
 */
export class AttachTrace {
  readonly #t0 = performance.now();
  #last = this.#t0;
  readonly #marks: string[] = [];

  /** The step that just ended, timed from the previous mark. */
  mark(step: string): void {
    const now = performance.now();
    this.#marks.push(`${step} ${(now - this.#last).toFixed(1)}`);
    this.#last = now;
  }

  line(container: string): string {
    return `attach-trace ${container}: ${this.#marks.join(', ')}, total ${(performance.now() - this.#t0).toFixed(1)}`;
  }
}

/** A trace when tracing is on, else undefined (every mark is then a no-op at the call site). */
export function attachTrace(): AttachTrace | undefined {
  return process.env.XNET_TRACE_ATTACH ? new AttachTrace() : undefined;
}
