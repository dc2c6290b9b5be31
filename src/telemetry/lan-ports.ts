import type Docker from 'dockerode';
import type { ContainerRates, OtherRates } from '../api/telemetry.js';
import { links as ipLinks } from '../net/ip.js';
import type { NetnsPath } from '../net/netns.js';
import type { RouterStatus } from '../router/driver.js';
import type { CountersInput, KernelCounters, Link } from './counters.js';
import { lanTable, lanView, remoteLabel, type LanView } from './lan-table.js';
import { BridgePorts, type BridgePort } from './ports.js';

/**
 * Counting under a driver whose bridge is on the LAN (bridge): every port of the bridge, dockerd's own too,
 * and per peer by the other end's LAN address. What the counters are given each second, and what `rates`
 * shows of it (every container on the bridge, the non-member rows).
 */
export class LanPorts {
  readonly #ports: BridgePorts;
  /** The LAN as last seen and the bridge's ports with their owners; undefined while not counting a LAN. */
  #now: { view: LanView; bridge: string; ports: BridgePort[] } | undefined;

  constructor(
    docker: Docker,
    private readonly netns: NetnsPath,
    log: (msg: string) => void,
  ) {
    this.#ports = new BridgePorts(docker, log);
  }

  /**
   * This second's containers and LAN table for the counters, or undefined when the running router has no
   * LAN to count (another driver, or its status has no LAN yet): the caller counts its attachments then.
   */
  async plan(
    r: RouterStatus,
    links: Link[],
    attached: CountersInput['containers'],
    at: number,
  ): Promise<Pick<CountersInput, 'containers' | 'lan'> | undefined> {
    const view = lanView(r);
    if (!view) return this.stop();
    const ports = await this.#ports.ports(links, r.bridge.name, view.nic, at);
    this.#now = { view, bridge: r.bridge.name, ports };
    // An attachment's port came after docker's `start` (and the look at the container): its name says whose.
    const byVeth = new Map(attached.map((a) => [a.hostIfname, a.id]));
    return {
      containers: ports.map((p) => ({ id: p.owner?.id ?? byVeth.get(p.ifname) ?? '', hostIfname: p.ifname })),
      lan: { table: lanTable(view) },
    };
  }

  stop(): undefined {
    this.#now = undefined;
    return undefined;
  }

  /** docker `start`: dockerd's port is hooked now, not at the next reading. */
  async containerStarted(id: string, counters: KernelCounters): Promise<void> {
    const now = this.#now;
    if (!now) return;
    const ends = await this.#ports.learn(id);
    if (ends.length === 0) return;
    for (const l of await ipLinks(this.netns))
      if (ends.includes(l.ifindex) && l.master === now.bridge) await counters.hookVeth(l.ifname);
  }

  containerDied(id: string): void {
    this.#ports.forget(id);
  }

  /** Every container on the bridge (the sum of its ports), before the attachments the caller adds. */
  containerRates(counters: KernelCounters, seconds: number): ContainerRates[] {
    const rows = new Map<string, ContainerRates>();
    for (const p of this.#now?.ports ?? []) {
      if (!p.owner || rows.has(p.owner.id)) continue;
      const o = p.owner;
      const series = counters.containerSeries(o.id, seconds);
      rows.set(o.id, { container: o.name, containerId: o.id, mac: o.mac, addresses: o.addresses, series });
    }
    return [...rows.values()];
  }

  /** Non-members (and this host) by their labels; undefined while not counting a LAN. */
  otherRates(counters: KernelCounters, seconds: number): OtherRates[] | undefined {
    const v = this.#now?.view;
    if (!v) return undefined;
    const kinds: [OtherRates['kind'], string | null, string][] = [
      ['this-host', v.self.address, v.self.address],
      ...(v.gateway ? [['gateway', v.gateway, v.gateway] as [OtherRates['kind'], string, string]] : []),
      ['lan', v.lan, v.lan.split('/')[0]!],
      ['other', null, ''],
    ];
    // Nothing while peers are not told apart (no eBPF): the counters give no series then.
    return kinds.flatMap(([kind, address, label]) => {
      const series = counters.peerSeries(label, seconds);
      return series ? [{ kind, label: remoteLabel(v, kind), address, series }] : [];
    });
  }
}
