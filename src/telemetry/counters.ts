// The kernel counter reader's life: load, hook, read, fall back, stop. The per-second samples it makes of
// each reading are counter-samples.ts; what is hooked and in which slot hooked-links.ts; the map and tc side
// is bpf/kernel.ts, the arithmetic bpf/table.ts, the LAN labels lan-table.ts.
import type { CounterSource, CountersStatus, RateSample } from '../api/telemetry.js';
import type { NetnsPath } from '../net/netns.js';
import {
  adoptSlots,
  dropKeys,
  loadCounters,
  pinned,
  pinsFor,
  readCounters,
  unhook,
  writeLanTable,
  zeroFreed,
  type Pins,
} from './bpf/kernel.js';
import { SlotReads } from './bpf/slot-reads.js';
import { staleKeys, type Table } from './bpf/table.js';
import { CounterSamples } from './counter-samples.js';
import { FastPath } from './fast-path.js';
import { countersStatus, linkMark } from './counter-hooks.js';
import type { CountersInput } from './counters-input.js';
import { readerHealth, type ReaderRecord } from './health.js';
import { HookedLinks } from './hooked-links.js';

export { HISTORY_SECONDS } from './counter-samples.js';
/** After BPF failed to load, how long the agent counts from interface counters before it tries again. */
const RETRY_BPF_MS = 30_000;

export type { CountersInput, Link } from './counters-input.js';

/**
 * Per-container and per-peer rates from the kernel's counters, read once a second: the eBPF counter map
 * where it loads, else each veth's own interface counters (and the screen says which). Node never sees a packet.
 */
export class KernelCounters {
  readonly #pins: Pins;
  #bpf: 'unloaded' | 'loaded' | 'unavailable' = 'unloaded';
  #bpfError: string | null = null;
  #bpfTriedAt = 0;
  /** What is hooked, and each veth's slot in the counters' array (hooked-links.ts). */
  readonly #hooks: HookedLinks;
  /** Which slots each read looks up, and the rows of the idle ones (bpf/slot-reads.ts). */
  readonly #slotReads = new SlotReads();
  /** The LAN table as last written to the trie (JSON). */
  #lanWritten: string | undefined;
  #port = 0;
  /** The last tunnel device seen, to take our hooks off it when the router stops. */
  #tunnelDev: string | undefined;
  readonly #samples = new CounterSamples();
  /** The vxlan driver's way past the bridge, in the same programs (fast-path.ts). */
  readonly #fast: FastPath;
  #record: ReaderRecord = {
    source: 'none',
    stopped: 'the router is not running',
    lastOkAt: null,
    lastError: null,
    startedAt: null,
    readMs: null,
  };

  constructor(
    private readonly netns: NetnsPath,
    stateDir: string,
    private readonly log: (msg: string) => void,
  ) {
    this.#pins = pinsFor(stateDir);
    this.#fast = new FastPath(this.#pins, netns);
    this.#hooks = new HookedLinks(this.#pins, netns);
  }

  get source(): CounterSource {
    return this.#record.source;
  }

  async tick(input: CountersInput): Promise<void> {
    if (input.stopped !== null) return this.#stop(input.stopped);
    if (this.#record.stopped !== null) {
      Object.assign(this.#record, { stopped: null, startedAt: input.at, lastError: null });
      this.#bpfTriedAt = 0; // a relaunch is the moment to try eBPF again
    }
    if (input.tunnel) this.#tunnelDev = input.tunnel.device;
    this.#hooks.lan = input.lan !== undefined;
    await this.#ensureBpf(input);
    const links = new Map(input.links.map((l) => [l.name, l]));
    const veths = input.veths ? new Map(input.veths.links.map((l) => [l.name, l])) : links;
    if (this.#bpf === 'loaded') {
      await this.#writeLan(input).catch((err: Error) => this.log(`counters: LAN table: ${err.message}`));
      await this.#hooks
        .hookAll(input, links, veths)
        .catch((err: Error) => this.log(`counters: hooking: ${err.message}`));
      // The fast path's map first: it may still name a freed slot (a gone veth's), zeroed only after.
      await this.#fast.tick(input, veths, this.#hooks.slots).catch((err: Error) => {
        this.#fast.forget(); // compared with the kernel's side again next time
        this.log(`counters: fast path: ${err.message}`);
      });
      await zeroFreed(this.#pins, this.#hooks.slots).catch((err: Error) =>
        this.log(`counters: zeroing freed slots: ${err.message}`),
      );
      const began = performance.now();
      let table: Table;
      try {
        const inUse = this.#hooks.slotsRead();
        const marks = new Map([...veths.values()].map((l) => [l.ifindex, linkMark(l)]));
        const mark = (ifindex: number) => marks.get(ifindex);
        const asked = this.#slotReads.ask(inUse, mark);
        const { hash, slotRows } = await readCounters(this.#pins, asked);
        table = this.#slotReads.merge(hash, inUse, asked, slotRows, mark);
      } catch (err) {
        this.#record.lastError = {
          at: Date.now(),
          message: `reading the counter map: ${(err as Error).message}`,
        };
        // A map that is gone (bpffs unmounted, pins removed) is loaded anew on the next tick.
        if (!(await pinned(this.#pins.counters))) this.#bpf = 'unloaded';
        this.#samples.forget();
        this.#slotReads.forget();
        return;
      }
      this.#record.readMs = Math.round(performance.now() - began);
      // Entries are kept for what is hooked or wanted (a veth attach hooked whose batch here failed).
      const keep = this.#hooks.ifindexes();
      for (const c of input.containers)
        if (veths.has(c.hostIfname)) keep.add(veths.get(c.hostIfname)!.ifindex);
      if (input.tunnel && links.has(input.tunnel.device)) keep.add(links.get(input.tunnel.device)!.ifindex);
      const gone = staleKeys(table, keep);
      if (gone.length > 0)
        await dropKeys(this.#pins, gone).catch((err: Error) =>
          this.log(`counters: dropping entries: ${err.message}`),
        );
      this.#samples.take(input, links, veths, table);
    } else {
      this.#samples.take(input, links, veths, null);
    }
    this.#record.lastOkAt = input.at;
    this.#record.lastError = null;
  }

  async #ensureBpf(input: CountersInput): Promise<void> {
    const port = input.tunnel?.port ?? 0;
    if (this.#bpf === 'loaded' && port === this.#port) {
      this.#record.source = 'ebpf'; // after a stop, which says none
      return;
    }
    if (this.#bpf === 'unavailable' && input.at - this.#bpfTriedAt < RETRY_BPF_MS) {
      this.#record.source = 'interface-counters';
      return;
    }
    this.#bpfTriedAt = input.at;
    try {
      const fresh = await loadCounters(this.#pins, port);
      if (fresh) {
        this.#hooks.clear();
        this.#lanWritten = undefined;
      } else if (this.#bpf !== 'loaded') await this.#adoptSlots(input);
      if (fresh || this.#bpf !== 'loaded') this.#fast.forget();
      this.#port = port;
      if (this.#bpf !== 'loaded')
        this.log(`counters: eBPF ${fresh ? 'loaded' : 'kept'} at ${this.#pins.root}`);
      this.#bpf = 'loaded';
      this.#bpfError = null;
      this.#record.source = 'ebpf';
    } catch (err) {
      const why = (err as Error).message;
      if (this.#bpfError !== why)
        this.log(`counters: eBPF unavailable, counting from interface counters: ${why}`);
      this.#bpf = 'unavailable';
      this.#bpfError = why;
      // Hooks left from before run programs whose map is gone: take them off rather than let them count unseen.
      await this.#hooks.unhookAll();
      if (this.#tunnelDev) await unhook(this.netns, this.#tunnelDev);
      await this.#fast.unhook(input);
      this.#hooks.clear();
      this.#record.source = 'interface-counters';
    }
    this.#samples.forget();
    this.#slotReads.forget();
  }

  /** The map was kept from an earlier run of this agent (a restart): the veths it hooked keep their slots. */
  async #adoptSlots(input: CountersInput): Promise<void> {
    const links = new Set((input.veths?.links ?? input.links).map((l) => l.name));
    const devs = input.lan ? [] : input.containers.map((c) => c.hostIfname).filter((d) => links.has(d));
    await adoptSlots(this.#hooks.slots, input.veths?.netns ?? this.netns, [...new Set(devs)]).catch(
      (err: Error) => this.log(`counters: reading the veths' slots back: ${err.message}`),
    );
  }

  /** The LAN trie as the driver's members say, written when it changed (a member came, went, or took a slice). */
  async #writeLan(input: CountersInput): Promise<void> {
    if (!input.lan) return;
    const text = JSON.stringify(input.lan.table);
    if (text === this.#lanWritten) return;
    await writeLanTable(this.#pins, input.lan.table);
    this.#lanWritten = text;
  }

  /**
   * Hooks one new veth now, so a container is counted from its first packets (attach calls it, and a docker
   * `start` under the bridge driver for dockerd's own port). `netns` is where it is: tc is run there with
   * nsenter, which (unlike `ip netns exec`) keeps /sys/fs/bpf and the pins.
   */
  async hookVeth(dev: string, netns: NetnsPath = this.netns): Promise<void> {
    if (this.#bpf !== 'loaded') return;
    await this.#hooks.hookVeth(dev, netns);
  }

  /**
   * Attach, before the container's end is up: its MAC is local to the fast path from now on, so no frame of
   * another container here to it is sent to the tunnel. Never rejects (the bridge carries its frames).
   */
  async localBeforeUp(containerId: string): Promise<void> {
    if (this.#bpf !== 'loaded') return;
    await this.#fast.attached(containerId).catch((err: Error) => {
      this.#fast.forget();
      this.log(`counters: fast path: ${err.message}`);
    });
  }

  /**
   * The VXLAN device is about to be deleted and made anew (for the vxlan driver to call before `link del`): the
   * fast path is off until the next tick sees the new one, so no frame is redirected to a gone ifindex.
   */
  async tunnelGoing(): Promise<void> {
    if (this.#bpf !== 'loaded') return;
    await this.#fast.tunnelGoing().catch((err: Error) => {
      this.#fast.forget();
      this.log(`counters: fast path: ${err.message}`);
    });
  }

  async #stop(reason: string): Promise<void> {
    if (this.#record.stopped === reason) return;
    Object.assign(this.#record, { stopped: reason, source: 'none', startedAt: Date.now() });
    this.#samples.clear();
    if (this.#bpf === 'loaded')
      await this.#fast.off().catch((err: Error) => this.log(`counters: fast path off: ${err.message}`));
    // The underlay stays when the router stops: ours come off it, whatever this run hooked or not.
    if (this.#tunnelDev) await unhook(this.netns, this.#tunnelDev);
    this.#hooks.forgetUnderlay();
  }

  containerSeries(id: string, seconds: number): RateSample[] {
    return this.#samples.containerSeries(id, seconds);
  }

  /**
   * A peer's series by its underlay address (on a LAN, by its label: lan-table.ts); undefined when peers are
   * not told apart (no eBPF, no tunnel and no LAN).
   */
  peerSeries(address: string, seconds: number): RateSample[] | undefined {
    if (this.#bpf !== 'loaded' || (!this.#port && !this.#hooks.lan) || this.#record.stopped !== null)
      return undefined;
    return this.#samples.peerSeries(address, seconds);
  }

  bridgeSeries(seconds: number): RateSample[] {
    return this.#samples.bridgeSeries(seconds);
  }

  status(now: number): CountersStatus {
    return countersStatus(readerHealth(now, this.#record), {
      source: this.#record.source,
      bpfError: this.#bpfError,
      hooked: this.#hooks.hooked,
      slots: this.#hooks.slots,
      port: this.#port,
      fast: this.#fast.on,
    });
  }

  /** The agent stops: the underlay is left as it was; veth hooks go with their veths. */
  async close(): Promise<void> {
    this.#hooks.close();
    if (this.#tunnelDev) await unhook(this.netns, this.#tunnelDev);
  }
}
