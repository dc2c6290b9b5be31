import type Docker from 'dockerode';
import { addrs, type IpAddr } from '../net/ip.js';
import { netnsOfPid } from '../net/netns.js';

/**
 * Which container each port of a LAN bridge belongs to. dockerd plugs its own veths under names of its own
 * choosing, so a port is found from the container's side: there, the veth's link index is the host end's
 * ifindex. One `ip addr` in a container's namespace when a new one appears, not one per second.
 */

export interface PortOwner {
  id: string;
  name: string;
  /** The container-side MAC of its first port. */
  mac: string;
  addresses: string[];
}

export interface BridgePort {
  ifname: string;
  ifindex: number;
  owner: PortOwner | undefined;
}

/** How long a port no container claimed waits before the containers are looked through again. */
const RETRY_MS = 5_000;

type Link = { name: string; ifindex: number; master: string | null; kind: string | null };

/** The host ends of a container's veths, from `ip -j addr` in its namespace; pure. */
export function hostEnds(list: (IpAddr & { link_index?: number })[]): { ifindex: number; mac: string }[] {
  return list
    .filter((l) => l.link_index !== undefined && l.link_netnsid !== undefined)
    .map((l) => ({ ifindex: l.link_index!, mac: l.address ?? '' }));
}

export class BridgePorts {
  /** host-side ifindex -> its container */
  #owners = new Map<number, PortOwner>();
  /** container id -> the ifindexes it was found holding (for forgetting it) */
  #seen = new Map<string, number[]>();
  #lookedAt = 0;

  constructor(
    private readonly docker: Docker,
    private readonly log: (msg: string) => void,
  ) {}

  /** The veth ports of `bridge` but the NIC (a veth too, in the lab), each with its container when one holds it. */
  async ports(links: Link[], bridge: string, nic: string, now: number): Promise<BridgePort[]> {
    const ports = links.filter((l) => l.master === bridge && l.kind === 'veth' && l.name !== nic);
    if (ports.some((p) => !this.#owners.has(p.ifindex)) && now - this.#lookedAt >= RETRY_MS) {
      this.#lookedAt = now;
      await this.#lookThrough().catch((err: Error) => this.log(`ports of ${bridge}: ${err.message}`));
    }
    return ports.map((p) => ({ ifname: p.name, ifindex: p.ifindex, owner: this.#owners.get(p.ifindex) }));
  }

  /** A container that just started: its ports are known at once (docker `start`); returns their ifindexes. */
  async learn(id: string): Promise<number[]> {
    this.forget(id);
    const c = await this.docker.getContainer(id).inspect();
    if (!c.State.Running || c.State.Pid <= 0 || c.HostConfig.NetworkMode === 'host') return [];
    const list = await addrs(netnsOfPid(c.State.Pid));
    const ends = hostEnds(list);
    const addresses = list.flatMap((l) =>
      (l.addr_info ?? [])
        .filter((a) => a.family === 'inet' && l.ifname !== 'lo')
        .map((a) => `${a.local}/${a.prefixlen}`),
    );
    const owner = { id: c.Id, name: c.Name.replace(/^\//, ''), mac: ends[0]?.mac ?? '', addresses };
    for (const e of ends) this.#owners.set(e.ifindex, owner);
    this.#seen.set(
      c.Id,
      ends.map((e) => e.ifindex),
    );
    return ends.map((e) => e.ifindex);
  }

  /** A container that died or went: its ports go with it (a new port may take its ifindex's place). */
  forget(id: string): void {
    for (const i of this.#seen.get(id) ?? []) this.#owners.delete(i);
    this.#seen.delete(id);
  }

  /** Every running container not looked at yet (a port no container claimed, or the agent just started). */
  async #lookThrough(): Promise<void> {
    const running = await this.docker.listContainers();
    for (const c of running) {
      if (this.#seen.has(c.Id)) continue;
      await this.learn(c.Id).catch((err: Error) =>
        this.log(`ports of container ${c.Id.slice(0, 12)}: ${err.message}`),
      );
    }
  }
}
