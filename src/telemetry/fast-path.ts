import { link, links } from '../net/ip.js';
import type { NetnsPath } from '../net/netns.js';
import { HOST_LINK, HOST_PORT } from '../net/overlay.js';
import { containerMac } from '../net/veth.js';
import { hook, unhook, writeConfig, type Pins } from './bpf/kernel.js';
import { localLines, readLocal, writeLocal, type LocalEntry } from './bpf/local-table.js';
import type { Slots } from './bpf/slots.js';
import type { CountersInput, Link } from './counters-input.js';

/** A tunnel without its bridge's MAC (a launch half done): how long before the links are read again. */
const OTHERS_RETRY_MS = 10_000;

/**
 * After tunnelGoing, how long an input naming the old device is taken as read before its delete; one that names it
 * later is a device that stayed (its delete failed), and the path comes back on.
 */
const GONE_HOLD_MS = 5_000;

/** How long a MAC attach wrote stays in the map with no tick listing its container (an attach rolled back). */
const ATTACHING_MS = 30_000;

/**
 * The containers' entries a tick wants, with what attach wrote since (`attaching`: MAC -> when). The tick's input
 * was read before its map is (and attach records the container after its end is up): an entry attach wrote after
 * the input was read is kept as attach wrote it, "local, the bridge's", rather than deleted or given a veth that
 * may be gone (a re-plug). A MAC leaves `attaching` once an input read after its write lists the container, or
 * after ATTACHING_MS without.
 */
export function localEntries(
  input: Pick<CountersInput, 'at' | 'containers'>,
  veths: Map<string, Link>,
  slots: Pick<Slots, 'get'>,
  attaching: Map<string, number>,
): LocalEntry[] {
  const listed = new Set(input.containers.map((c) => containerMac(c.id)));
  for (const [mac, at] of attaching)
    if ((listed.has(mac) && input.at > at) || input.at - at > ATTACHING_MS) attaching.delete(mac);
  const entries = input.containers.map((c) => {
    const mac = containerMac(c.id);
    const l = attaching.has(mac) ? undefined : veths.get(c.hostIfname);
    return { mac, ifindex: l?.ifindex ?? 0, slot: l ? slots.get(c.hostIfname) : 0 };
  });
  const more = [...attaching.keys()].filter((mac) => !listed.has(mac));
  return [...entries, ...more.map((mac) => ({ mac, ifindex: 0, slot: 0 }))];
}

/** The non-container endpoints' MACs as read for one tunnel device; null: its bridge was not there. */
export interface Others {
  tunnel: number;
  macs: string[] | null;
  at: number;
}

/** Whether to read the bridge's and host link's MACs again: another tunnel (a relaunch), or a miss gone stale. */
export const readOthersAgain = (o: Others | undefined, tunnel: number, now: number): boolean =>
  !o || o.tunnel !== tunnel || (o.macs === null && now - o.at >= OTHERS_RETRY_MS);

/**
 * The vxlan driver's fast path past the bridge (counters.bpf.c's fast_ingress and tunnel_ingress): the map of
 * this host's endpoints, the tunnel device's ingress hook, and the tunnel's ifindex in the programs' config.
 * Order matters one way only: a MAC is in the map before its container's end is up (attach writes it, ifindex
 * 0, before the addresses' step brings the end up), and the map is full before the ifindex turns the path on,
 * so a local frame is never sent to the tunnel. What is missing or late (a container's veth, the tunnel hook)
 * only leaves its frames to the bridge, as without the fast path. With no tunnel the programs only count.
 */
export class FastPath {
  /** The entries as last written (JSON); undefined: compare with the map itself next time. */
  #written: string | undefined;
  /** The tunnel's ifindex as the config holds it; -1: not known (a fresh load, a restart). */
  #ifindex = -1;
  /** The tunnel device hooked, by ifindex (a device made anew needs its hook again), and where. */
  #hooked = 0;
  #hookedAt: { netns: NetnsPath; dev: string } | undefined;
  /** MACs of the endpoints that are not containers (bridge, host link), read again when the tunnel changes. */
  #others: Others | undefined;
  /** The tunnel's ifindex in the latest tick's input, and the one being deleted (tunnelGoing) and when. */
  #seen = 0;
  #gone: { ifindex: number; at: number } | undefined;
  /** MACs attach wrote (attached) and when, until a tick's input read after it lists the container. */
  readonly #attaching = new Map<string, number>();

  constructor(
    private readonly pins: Pins,
    private readonly hostNetns: NetnsPath,
  ) {}

  /** The map or the program was loaded anew, or the agent started: nothing is known of the kernel's side. */
  forget(): void {
    this.#written = undefined;
    this.#ifindex = -1;
    this.#hooked = 0;
    this.#hookedAt = undefined;
    this.#others = undefined;
  }

  /**
   * Attach, before the container's end is up: its MAC is local from now on (its frames take the bridge until
   * the next tick gives its veth and slot).
   */
  async attached(containerId: string): Promise<void> {
    const mac = containerMac(containerId);
    this.#attaching.set(mac, Date.now());
    this.#written = undefined;
    const [line] = localLines(this.pins, new Map(), [{ mac, ifindex: 0, slot: 0 }]);
    await writeLocal([line!]);
  }

  /** Each tick: the map as the containers and their veths are, the tunnel hooked, its ifindex in the config. */
  async tick(input: CountersInput, veths: Map<string, Link>, slots: Slots): Promise<void> {
    const fast = input.fast;
    const tunnel = fast && veths.get(fast.device);
    if (!fast || !tunnel || !input.veths) return this.off();
    // An input read before the device was deleted (tunnelGoing) names it still: the path stays off a tick.
    if (this.#going(tunnel.ifindex, input.at)) return;
    this.#gone = undefined;
    this.#seen = tunnel.ifindex;
    // A relaunch (the bridge may be new too), or a bridge missing a while ago; a miss is not asked every tick.
    if (readOthersAgain(this.#others, tunnel.ifindex, input.at)) {
      const macs = await this.#otherMacs(input.veths.netns, fast.bridge);
      this.#others = { tunnel: tunnel.ifindex, macs, at: input.at };
    }
    const others = this.#others!.macs;
    if (!others) return this.off();
    const wanted = (): LocalEntry[] => [
      ...others.map((mac) => ({ mac, ifindex: 0, slot: 0 })),
      ...localEntries(input, veths, slots, this.#attaching),
    ];
    if (JSON.stringify(wanted()) !== this.#written) {
      const have = await readLocal(this.pins);
      // Again after the read: an attached() while it ran is kept (its write may be in the read or after it).
      const want = wanted();
      await writeLocal(localLines(this.pins, have, want));
      this.#written = JSON.stringify(want);
    }
    if (this.#hooked !== tunnel.ifindex) {
      await hook(input.veths.netns, this.pins, [{ dev: fast.device, kind: 'tunnel' }]);
      this.#hooked = tunnel.ifindex;
      this.#hookedAt = { netns: input.veths.netns, dev: fast.device };
    }
    // Checked again: a tunnelGoing while this tick ran (its write of 0 then comes after this one).
    if (this.#ifindex !== tunnel.ifindex && !this.#going(tunnel.ifindex, input.at)) {
      await writeConfig(this.pins, { tunnelIfindex: tunnel.ifindex });
      this.#ifindex = tunnel.ifindex;
    }
  }

  /**
   * No tunnel (the router stopped or was reset, another driver): the programs only count, the bridge carries
   * everything, and the map is emptied (the path off first, so no frame meets a half-empty map). A launch
   * fills it again before it turns the path on.
   */
  async off(): Promise<void> {
    if (this.#ifindex === 0) return;
    await writeConfig(this.pins, { tunnelIfindex: 0 });
    this.#ifindex = 0;
    this.#hooked = 0;
    this.#written = undefined;
    await writeLocal(localLines(this.pins, await readLocal(this.pins), []));
  }

  /**
   * The programs can no longer be loaded (their pins went, no object): the tunnel's hook comes off, as the
   * veths' do, so no program whose maps nobody reads forwards past the bridge; the bridge carries all.
   */
  async unhook(input: CountersInput): Promise<void> {
    // What this run hooked, or (a restart that found no programs) where the driver's tunnel is.
    const at =
      this.#hookedAt ??
      (input.fast && input.veths ? { netns: input.veths.netns, dev: input.fast.device } : undefined);
    if (at) await unhook(at.netns, at.dev);
    this.forget();
  }

  /**
   * The tunnel device is about to go (deleted to be made anew): the path is off now, so no frame is redirected to
   * its ifindex once gone; the next tick that sees the new device turns it on again.
   */
  async tunnelGoing(): Promise<void> {
    // Marked first and at once, so a tick under way (or one whose links were read before) does not turn it on.
    if (this.#seen > 0) this.#gone = { ifindex: this.#seen, at: Date.now() };
    if (this.#ifindex === 0 && this.#seen === 0) return;
    await writeConfig(this.pins, { tunnelIfindex: 0 });
    this.#ifindex = -1; // not 0: off() still empties the map if no tunnel comes back
    this.#hooked = 0;
  }

  /** Whether `ifindex` (read at `at`) is the device tunnelGoing was told of; one still there later stayed. */
  #going(ifindex: number, at: number): boolean {
    return ifindex === this.#gone?.ifindex && at - this.#gone.at < GONE_HOLD_MS;
  }

  get on(): boolean {
    return this.#ifindex > 0;
  }

  /**
   * The bridge's MAC, its port to the host and the host's end of that pair: frames to them take the bridge.
   * null without the bridge's (no fast path rather than the bridge's own frames sent to the tunnel).
   */
  async #otherMacs(netns: NetnsPath, bridge: string): Promise<string[] | null> {
    const [overlay, host] = await Promise.all([
      links(netns),
      link(this.hostNetns, HOST_LINK).catch(() => undefined),
    ]);
    if (!overlay.some((l) => l.ifname === bridge && l.address)) return null;
    return [...overlay.filter((l) => l.ifname === bridge || l.ifname === HOST_PORT), ...(host ? [host] : [])]
      .map((l) => l.address)
      .filter((a): a is string => !!a && a.split(':').length === 6);
  }
}
