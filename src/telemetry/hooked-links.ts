// Which interfaces the kernel counter reader hooked and which slot each veth counts in; its tc side (hook,
// unhook). The reader's life (load, read, fall back, stop) and its bpftool calls stay in counters.ts.
import type { NetnsPath } from '../net/netns.js';
import { NetnsRunner } from '../net/netns-runner.js';
import { hook, unhook, type Pins } from './bpf/kernel.js';
import { Slots } from './bpf/slots.js';
import type { Hooked } from './counter-hooks.js';
import type { CountersInput, Link } from './counters-input.js';

/** A veth hooked by name (attach's hookVeth); the next tick reads its ifindex. */
const HOOKED_BY_NAME = -1;

export class HookedLinks {
  /**
   * Hooked interfaces: name -> ifindex (a veth made anew under the same name has a new ifindex), the program
   * kind and the namespace it is in. Two namespaces number their interfaces apart, so an ifindex may be in
   * both: a veth's map entries have no peer, the underlay's always one, which keeps them apart.
   */
  readonly #hooked = new Map<string, Hooked>();
  /** The veths' slots in the counters' array, by veth name (bpf/slots.ts). */
  readonly slots = new Slots();
  /** attach's hooks: `tc -batch` started by a long-lived shell (NetnsRunner), no spawn from the agent. */
  readonly #tc = new NetnsRunner();
  /** The last tick counted LAN ports (a LAN bridge's ports are hooked as `port`, not `veth`). */
  lan = false;

  constructor(
    private readonly pins: Pins,
    private readonly netns: NetnsPath,
  ) {}

  get hooked(): ReadonlyMap<string, Hooked> {
    return this.#hooked;
  }

  /** The ifindexes hooked, whose map entries are kept. */
  ifindexes(): Set<number> {
    return new Set([...this.#hooked.values()].map((h) => h.ifindex));
  }

  /** A fresh map: nothing is hooked to it yet and every slot is free. */
  clear(): void {
    this.#hooked.clear();
    this.slots.clear();
  }

  /** The map could not load: hooks left from before run programs whose map is gone, so they come off. */
  async unhookAll(): Promise<void> {
    for (const [name, h] of this.#hooked) await unhook(h.netns, name);
  }

  /** The router stopped: the underlay's hook is no longer ours to keep (counters.ts takes it off). */
  forgetUnderlay(): void {
    for (const [name, h] of this.#hooked) if (h.kind === 'underlay') this.#hooked.delete(name);
  }

  /** The slots to read: slot -> its veth's ifindex, for the veths hooked with one whose ifindex is known. */
  slotsRead(): Map<number, number> {
    const out = new Map<number, number>();
    for (const [name, slot] of this.slots.entries()) {
      const h = this.#hooked.get(name);
      if (h && h.kind === 'veth' && h.ifindex !== HOOKED_BY_NAME) out.set(slot, h.ifindex);
    }
    return out;
  }

  /** Hooks every container's veth (or LAN port) and the tunnel's device not hooked yet: a tc batch a namespace. */
  async hookAll(input: CountersInput, links: Map<string, Link>, veths: Map<string, Link>): Promise<void> {
    const vethNetns = input.veths ? input.veths.netns : this.netns;
    const want = new Map<string, Hooked>();
    for (const c of input.containers) {
      const l = veths.get(c.hostIfname);
      if (l) want.set(l.name, { ifindex: l.ifindex, kind: this.#vethKind(), netns: vethNetns });
    }
    const tunnel = input.tunnel && links.get(input.tunnel.device);
    if (tunnel) want.set(tunnel.name, { ifindex: tunnel.ifindex, kind: 'underlay', netns: this.netns });
    for (const [name, h] of this.#hooked) {
      const w = want.get(name);
      if (w && h.ifindex === HOOKED_BY_NAME && w.netns === h.netns) {
        this.#hooked.set(name, w); // hooked by hookVeth a moment ago: its ifindex is known now
        continue;
      }
      if (w?.ifindex === h.ifindex && w.netns === h.netns) continue;
      // A veth not wanted (any more, or not yet: attach hooks it before its state is written) that is still
      // there keeps its filter, so it keeps its slot: a slot a filter still carries is never given again.
      const link = veths.get(name);
      if (h.kind === 'veth' && !w && link && (h.ifindex === HOOKED_BY_NAME || link.ifindex === h.ifindex))
        continue;
      this.#hooked.delete(name);
      if (h.kind === 'underlay' && links.get(name)?.ifindex === h.ifindex) await unhook(this.netns, name);
      this.slots.free(name); // the veth of that name is gone (or another one now): zeroed before reuse
    }
    const todo = [...want].filter(([name, h]) => {
      const had = this.#hooked.get(name);
      return had?.ifindex !== h.ifindex || had.kind !== h.kind || had.netns !== h.netns;
    });
    for (const netns of new Set(todo.map(([, h]) => h.netns))) {
      const here = todo.filter(([, h]) => h.netns === netns);
      await hook(
        netns,
        this.pins,
        here.map(([dev, h]) => ({ dev, kind: h.kind, slot: h.kind === 'veth' ? this.#slotFor(dev) : 0 })),
      );
      for (const [dev, h] of here) this.#hooked.set(dev, h);
    }
  }

  /** The slot a veth keeps (given by hookVeth, or read back after a restart), else a new one. */
  #slotFor(dev: string): number {
    return this.slots.get(dev) || this.slots.take(dev);
  }

  #vethKind(): 'veth' | 'port' {
    return this.lan ? 'port' : 'veth';
  }

  /** Hooks one new veth now (counters.ts's hookVeth says when), through the long-lived tc. */
  async hookVeth(dev: string, netns: NetnsPath): Promise<void> {
    const kind = this.#vethKind();
    // A new veth (or one made anew under the name): a slot of its own, zeroed, never the last one's.
    const slot = kind === 'veth' ? this.slots.take(dev) : 0;
    await hook(netns, this.pins, [{ dev, kind, slot }], (lines) => this.#tc.tcBatch(netns, lines));
    // Recorded, so the next tick does not hook it again with a second tc process.
    this.#hooked.set(dev, { ifindex: HOOKED_BY_NAME, kind, netns });
  }

  /** The agent stops: veth hooks go with their veths. */
  close(): void {
    this.#tc.close();
    this.#hooked.clear();
  }
}
