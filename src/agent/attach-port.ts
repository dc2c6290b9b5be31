import { ensureBridge } from '../net/bridge.js';
import { ipBatch } from '../net/ip.js';
import type { NetnsRunner } from '../net/netns-runner.js';
import type { NetnsPath } from '../net/netns.js';
import { bridgeNetns, ensureOverlay } from '../net/overlay.js';
import { containerMac, hostVethName, plug } from '../net/veth.js';
import type { ContainerInfo } from '../docker/containers.js';

/** The bridge to plug into and the named namespace it is in (null: the agent's own). */
export interface PortPoint {
  bridge: string;
  netns: string | null;
}

/**
 * Plugs containers into the bridge of the moment (the router's, or the agent's own) with the bridge's MTU,
 * looked up once and remembered until the bridge changes or a plug fails.
 */
export class BridgePorts {
  #mtu: number | undefined;
  /** The bridge (and namespace) #mtu was learned from: a router with another bridge means learning it again. */
  #learnedFrom: string;

  constructor(
    private readonly hostNetns: NetnsPath,
    private readonly ifname: string,
    private readonly point: () => PortPoint,
    /** Runs the plug's `ip -batch` from a long-lived shell: no spawn from the agent per plug. */
    private readonly runner: NetnsRunner,
  ) {
    this.#learnedFrom = keyOf(point());
  }

  /** The router changed the bridge MTU; plugs from now on use it. */
  setMtu(mtu: number): void {
    this.#mtu = mtu;
    this.#learnedFrom = keyOf(this.point());
  }

  /** Plugs `c` in; if that fails (bridge deleted behind our back), looks the bridge up again and retries once. */
  async plug(c: ContainerInfo): Promise<void> {
    try {
      await this.#attempt(c);
    } catch (first) {
      this.#mtu = undefined;
      try {
        await this.#attempt(c);
      } catch {
        throw first;
      }
    }
  }

  async #attempt(c: ContainerInfo): Promise<void> {
    const point = this.point();
    if (keyOf(point) !== this.#learnedFrom) {
      this.#learnedFrom = keyOf(point);
      this.#mtu = undefined;
    }
    // A bridge in a namespace of its own comes with that namespace and the host's pair onto it.
    this.#mtu ??= (
      point.netns
        ? await ensureOverlay({ name: point.netns, hostNetns: this.hostNetns, bridge: point.bridge })
        : await ensureBridge(this.hostNetns, point.bridge)
    ).mtu;
    const netns = bridgeNetns(point.netns, this.hostNetns);
    try {
      await plug(
        {
          hostNetns: netns,
          bridge: point.bridge,
          mtu: this.#mtu,
          pid: c.pid,
          hostIfname: hostVethName(c.id),
          ifname: this.ifname,
          mac: containerMac(c.id),
        },
        (lines) => this.runner.ipBatch(netns, lines),
      );
    } catch (err) {
      // A batch that failed half-way (the pair made, `master` refused) would leave ethwe behind: remove it.
      await ipBatch(netns, [`link del ${hostVethName(c.id)}`]).catch(() => undefined);
      throw err;
    }
  }
}

const keyOf = (p: PortPoint): string => `${p.netns ?? ''}/${p.bridge}`;
