import { isIPv4 } from 'node:net';
import type { NetnsPath } from './netns.js';
import { NetnsRunner } from './netns-runner.js';
import {
  admitHooked,
  admitHookLines,
  admitChange,
  loadAdmit,
  readAdmitted,
  unhookAdmit,
  unloadAdmit,
  writeAdmitted,
  type AdmitPins,
} from './vxlan-admit-bpf.js';
import { markChain, readInstalledChain, restrictVxlan, unrestrictVxlan, vxlanChain } from './vxlan-filter.js';

/** ebpf: the members are a map on the underlay's tc ingress, the chain fixed; iptables: the chain lists them. */
export type AdmitMode = 'ebpf' | 'iptables';

/** What the tunnel takes VXLAN from, for status and the packet path. */
export interface Admission {
  mode: AdmitMode;
  /** The underlay device the program is on (ebpf). */
  dev?: string;
  /**
   * ebpf: the addresses that get through now (none when our program is not on `dev`: all is dropped). iptables:
   * absent, the chain's own rules say.
   */
  admitted?: string[];
  /** Why not ebpf, when it could not load. */
  why?: string;
}

/**
 * The members the filter can admit (IPv4: the map's key and the chain's `iptables` are IPv4 only) and the
 * others, each sorted and once. Pure.
 */
export function admittable(members: readonly string[]): { v4: string[]; other: string[] } {
  const all = [...new Set(members)].sort();
  return { v4: all.filter((a) => isIPv4(a)), other: all.filter((a) => !isIPv4(a)) };
}

export interface VxlanFilterOptions {
  netns: NetnsPath;
  port: number;
  pins: AdmitPins;
  log: (msg: string) => void;
  /** Forced (XNET_VXLAN_ADMIT, for the bench's A/B and a test of the fallback); otherwise ebpf where it loads. */
  mode?: AdmitMode;
  /** The built program (tests, which run from src/, give dist's). */
  object?: string;
}

/**
 * Which underlay addresses the tunnel takes VXLAN from, kept as the membership changes. Each call writes only
 * what changed: with eBPF, the map's new and gone members (one bpftool line each, through the agent's session,
 * no process) and the chain once; without it, the chain whole (iptables-restore, one commit), only when the
 * admitted addresses changed. What is installed is read once (an agent restarted under a running serf finds
 * its predecessor's map and chain); after that, what we wrote is what is there, until a write fails.
 */
export class VxlanFilter {
  /** As last chosen (status shows it); `#known` false: choose again (load, or fall back) before the next write. */
  #mode: AdmitMode | undefined;
  #known = false;
  #why: string | undefined;
  /** The chain's text as last written or found, with the jump in place; undefined: not known. */
  #chain: string | undefined;
  /** The map's addresses as last written or read; undefined: read it before the next write. */
  #mapped: Set<string> | undefined;
  /** The device our program was put on; undefined: put it on again. */
  #hooked: string | undefined;
  /** recheck() was asked: the map and the hook are read before the next write. */
  #recheck = false;
  /** The chain and the hook go through a shell, not a fork of the agent (see NetnsRunner). */
  readonly #runner = new NetnsRunner();

  constructor(private readonly o: VxlanFilterOptions) {}

  /** How members are admitted; undefined before the first call. */
  get mode(): AdmitMode | undefined {
    return this.#mode;
  }

  /**
   * Admits exactly `members` (underlay addresses) on `dev`, the underlay device. Whether the map or the chain
   * changed (false: they already held exactly these; the hook is put on again all the same when not known to be
   * there). A failure leaves nothing assumed: the next call reads everything again.
   */
  async admit(members: readonly string[], dev: string): Promise<boolean> {
    if (!this.#known) {
      this.#mode = await this.#choose();
      this.#known = true;
    }
    if (this.#mode === 'iptables') return this.#writeChain(vxlanChain(members));
    try {
      if (this.#recheck) {
        this.#recheck = false;
        this.#mapped = undefined;
        if (this.#hooked && !(await admitHooked(this.o.netns, this.#hooked))) this.#hooked = undefined;
      }
      // The map and the hook before the chain: switching from a chain of members, none is dropped meanwhile.
      const mapped = await this.#writeMap(new Set(members));
      if (this.#hooked !== dev) {
        await this.#runner.tcBatch(this.o.netns, admitHookLines(this.o.pins, dev));
        if (this.#hooked) await unhookAdmit(this.o.netns, this.#hooked); // the underlay moved
        this.#hooked = dev;
      }
      const chained = await this.#writeChain(markChain());
      return mapped || chained;
    } catch (err) {
      // Pins removed, a program replaced: load (or fall back) and read everything again next time.
      this.#forget();
      throw err;
    }
  }

  async #choose(): Promise<AdmitMode> {
    if (this.o.mode) return this.o.mode;
    try {
      await loadAdmit(this.o.pins, this.o.object);
      this.#why = undefined;
      return 'ebpf';
    } catch (err) {
      const why = (err as Error).message;
      if (why !== this.#why)
        this.o.log(`VXLAN filter: eBPF admission unavailable (${why}); the firewall chain lists the members`);
      this.#why = why;
      return 'iptables';
    }
  }

  async #writeMap(want: Set<string>): Promise<boolean> {
    const have = (this.#mapped ??= await readAdmitted(this.o.pins, this.o.port));
    const { add, drop } = admitChange(have, want);
    if (add.length + drop.length === 0) return false;
    this.#mapped = undefined;
    await writeAdmitted(this.o.pins.map, this.o.port, have, want);
    this.#mapped = want;
    return true;
  }

  async #writeChain(want: string): Promise<boolean> {
    this.#chain ??= await readInstalledChain(this.o.netns, this.o.port);
    if (want === this.#chain) return false;
    // Known written (by us, or found at launch with its jump): the jump is there, no `iptables -C` after.
    const jumpKnown = this.#chain !== undefined;
    this.#chain = undefined;
    await restrictVxlan(this.#runner, this.o.netns, this.o.port, want, jumpKnown);
    this.#chain = want;
    return true;
  }

  /**
   * Reads the map and looks for the program before the next write (the driver asks every 30 s): a program
   * someone took off is put back, a map someone changed is written again. Both through the agent's bpftool
   * session, no process: 50 hosts do it every 30 s. The chain is read only at the start and after a failure
   * (two iptables processes), as before the map.
   */
  recheck(): void {
    this.#recheck = true;
  }

  #forget(): void {
    this.#known = false;
    this.#mapped = undefined;
    this.#hooked = undefined;
    this.#chain = undefined;
  }

  /** What gets through now. With eBPF, the program is looked for on the device (one tc): off it, nothing does. */
  async admission(): Promise<Admission | undefined> {
    const mode = this.#mode;
    if (!mode) return undefined;
    if (mode === 'iptables') return { mode, ...(this.#why ? { why: this.#why } : {}) };
    const dev = this.#hooked;
    const on = dev !== undefined && (await admitHooked(this.o.netns, dev));
    return { mode, ...(dev ? { dev } : {}), admitted: on && this.#mapped ? [...this.#mapped].sort() : [] };
  }

  /** The chain and the jump go first (nothing is dropped after), then the program and its pins (stop). */
  async remove(dev: string | undefined): Promise<void> {
    const hooked = this.#hooked ?? dev;
    this.#forget();
    this.#mode = undefined;
    this.#runner.close();
    await unrestrictVxlan(this.o.netns, this.o.port);
    if (hooked) await unhookAdmit(this.o.netns, hooked);
    await unloadAdmit(this.o.pins);
  }
}
