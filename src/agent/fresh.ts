/**
 * A value read at most once per `maxAgeMs`, however many callers ask: the agent's router status, which the
 * telemetry loop and every TUI poll each want once a second, and which costs a Serf RPC (vxlan), OVS queries
 * (ovs-gre) or the Weave router's report. Callers within the age share one read, in flight or done; a failed
 * read is not kept; `invalidate()` (after a command changed the router) makes the next caller read anew, and
 * a read that began before it is never handed out after it.
 */
export class Fresh<T> {
  #read: { at: number; value: Promise<T> } | undefined;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<T> {
    const r = this.#read;
    if (r && this.now() - r.at < this.maxAgeMs) return r.value;
    const read = { at: this.now(), value: this.load() };
    this.#read = read;
    read.value.catch(() => {
      if (this.#read === read) this.#read = undefined;
    });
    return read.value;
  }

  invalidate(): void {
    this.#read = undefined;
  }
}
