import { ensureBridge } from '../net/bridge.js';
import { ipBatch } from '../net/ip.js';
import type { NetnsPath } from '../net/netns.js';
import { containerMac, hostVethName, plug } from '../net/veth.js';
import type { ContainerInfo } from '../docker/containers.js';

/**
 * Plugs containers into the bridge of the moment (the router's, or the agent's own) with the bridge's MTU,
 * looked up once and remembered until the bridge changes or a plug fails.
 */
export class BridgePorts {
  #mtu: number | undefined;
  /** The bridge #mtu was learned from: a router with another bridge means learning it again. */
  #learnedFrom: string;

  constructor(
    private readonly hostNetns: NetnsPath,
    private readonly ifname: string,
    private readonly bridge: () => string,
  ) {
    this.#learnedFrom = bridge();
  }

  /** The router changed the bridge MTU; plugs from now on use it. */
  setMtu(mtu: number): void {
    this.#mtu = mtu;
    this.#learnedFrom = this.bridge();
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
    const bridge = this.bridge();
    if (bridge !== this.#learnedFrom) {
      this.#learnedFrom = bridge;
      this.#mtu = undefined;
    }
    this.#mtu ??= (await ensureBridge(this.hostNetns, bridge)).mtu;
    try {
      await plug({
        hostNetns: this.hostNetns,
        bridge,
        mtu: this.#mtu,
        pid: c.pid,
        hostIfname: hostVethName(c.id),
        ifname: this.ifname,
        mac: containerMac(c.id),
      });
    } catch (err) {
      // A batch that failed half-way (the pair made, `master` refused) would leave ethwe behind: remove it.
      await ipBatch(this.hostNetns, [`link del ${hostVethName(c.id)}`]).catch(() => undefined);
      throw err;
    }
  }
}
