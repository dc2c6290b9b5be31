import type Docker from 'dockerode';
import { badInput, failed, XnetError } from '../errors.js';
import { parseInterfaceCidr, routeContains, type InterfaceCidr } from '../net/cidr.js';
import { ipBatch, routes4, type IpAddr } from '../net/ip.js';
import { netnsId, netnsOfPid, type NetnsPath } from '../net/netns.js';
import { ensureBridge } from '../net/bridge.js';
import {
  addAddresses,
  announce,
  containerInterface,
  containerMac,
  hostVethName,
  plug,
  removeAddresses,
  unplug,
} from '../net/veth.js';
import { findContainer, listContainers, type ContainerInfo } from '../docker/containers.js';
import type { StateStore, Attachment } from './state.js';
import type { AttachmentView, Result } from '../api/index.js';

export interface AttachDeps {
  docker: Docker;
  store: StateStore;
  /** Namespace the agent manages (undefined: its own). */
  hostNetns: NetnsPath;
  bridge: string;
  ifname: string;
  log: (msg: string) => void;
  /** Who elsewhere in the mesh holds an address, when a router is running. */
  meshOwner?: (address: string) => Promise<{ peer: string; container: string } | undefined>;
}

/**
 * What the router adds to attach: the bridge it wants containers on (its attachPoint; `xnet` for vxlan,
 * `weave` for Weave) and, when it has an IPAM, claiming addresses before they are used and releasing them after.
 */
export interface RouterHooks {
  bridge: () => string | undefined;
  claim: (containerId: string, cidrs: string[]) => Promise<void>;
  release: (containerId: string, cidrs: string[]) => Promise<void>;
}

/**
 * Attach and detach, the `weave attach` contract: validate everything first, then change the kernel, then
 * record the desired state. Detach sits beside attach and undoes exactly what it did.
 */
export class Attacher {
  #queue: Promise<unknown> = Promise.resolve();
  #bridgeMtu: number | undefined;
  /** The bridge #bridgeMtu was learned from: a router with another bridge means learning it again. */
  #bridgeName: string;
  #router: RouterHooks | undefined;

  constructor(private readonly d: AttachDeps) {
    this.#bridgeName = d.bridge;
  }

  /** The mesh plugs the router's bridge and IPAM in here (built after the attacher, like useMesh). */
  useRouter(hooks: RouterHooks): void {
    this.#router = hooks;
  }

  /** The bridge containers go on now: the router's, or ours when none is launched. */
  #bridge(): string {
    return this.#router?.bridge() ?? this.d.bridge;
  }

  /** The mesh is built after the attacher (it needs it for MTU changes); it plugs its address check in here. */
  useMesh(owner: NonNullable<AttachDeps['meshOwner']>): void {
    this.d.meshOwner = owner;
  }

  /** One change at a time: two attaches racing for the same address must not both pass validation. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  attach(cidrTexts: string[], ref: string): Promise<Result<'attach'>> {
    return this.#serial(() => this.#attach(cidrTexts, ref));
  }

  detach(cidrTexts: string[], ref: string): Promise<Result<'detach'>> {
    return this.#serial(() => this.#detach(cidrTexts, ref));
  }

  async #attach(cidrTexts: string[], ref: string): Promise<Result<'attach'>> {
    const cidrs = cidrTexts.map((t) => parseInterfaceCidr(t));
    const seen = new Map<string, string>();
    for (const c of cidrs) {
      const other = seen.get(c.address);
      if (other)
        throw badInput(
          'cidr',
          `${c.address} is given twice (${other} and ${c.cidr})`,
          'give each address once',
        );
      seen.set(c.address, c.cidr);
    }
    const [container, routes] = await Promise.all([this.#runningContainer(ref), routes4(this.d.hostNetns)]);
    const bridge = this.#bridge();
    const existing = this.d.store.current.attachments.find((a) => a.containerId === container.id);

    const toAdd: InterfaceCidr[] = [];
    const alreadyPresent: string[] = [];
    for (const c of cidrs) {
      for (const a of this.d.store.current.attachments) {
        for (const held of a.cidrs.map((t) => parseInterfaceCidr(t))) {
          if (held.address !== c.address) continue;
          if (a.containerId !== container.id) {
            throw badInput(
              'cidr',
              `${c.address} is already attached to container ${a.containerName} on this host`,
              `pick another address, or detach it first: xnet-tui detach ${held.cidr} ${a.containerName}`,
            );
          }
          if (held.prefix !== c.prefix) {
            throw badInput(
              'cidr',
              `${container.name} already has ${held.cidr}, not ${c.cidr}`,
              `detach ${held.cidr} first to change its prefix`,
            );
          }
        }
      }
      if (existing?.cidrs.includes(c.cidr)) {
        alreadyPresent.push(c.cidr);
        continue;
      }
      const route = routes.find((r) => r.dev !== bridge && routeContains(r.dst, c.address));
      if (route) {
        const desc = [route.dst, route.dev && `dev ${route.dev}`, route.gateway && `via ${route.gateway}`]
          .filter(Boolean)
          .join(' ');
        throw badInput(
          'cidr',
          `${c.address} is inside the host route ${desc}`,
          'pick an address outside the routes that `ip route` lists, or the container would be unreachable from this host',
        );
      }
      toAdd.push(c);
    }
    // One question to the mesh per address, asked together: each waits out the mesh's answers.
    const owners = await Promise.all(toAdd.map((c) => this.d.meshOwner?.(c.address)));
    for (const [i, owner] of owners.entries()) {
      if (owner) {
        throw badInput(
          'cidr',
          `${toAdd[i]!.address} is already used in the mesh by container ${owner.container} on peer ${owner.peer}`,
          'pick another address; `xnet-tui status peers` lists the peers',
        );
      }
    }

    // The router's IPAM (Weave) has the last word on an address, anywhere in the mesh: ask it before any change.
    const claimed = toAdd.map((c) => c.cidr);
    if (claimed.length > 0) await this.#router?.claim(container.id, claimed);

    // Attached before: read what the kernel has. New: plug straight away and learn only if that collides.
    let present = existing ? await this.#liveCidrs(container) : undefined;
    let created = false;
    try {
      if (!present) {
        const plugged = await this.#plug(container);
        created = plugged.created;
        present = plugged.present;
      }
      await addAddresses(
        container.pid,
        this.d.ifname,
        toAdd.map((c) => c.cidr).filter((c) => !present!.includes(c)),
      );
    } catch (err) {
      if (created) await unplug(container.pid, this.d.ifname).catch(() => undefined);
      if (claimed.length > 0) await this.#router?.release(container.id, claimed).catch(() => undefined);
      throw err instanceof XnetError ? err : failed(`attach ${container.name}: ${(err as Error).message}`);
    }
    for (const c of toAdd) setImmediate(() => announce(container.pid, this.d.ifname, c.address, this.d.log));

    const attachment: Attachment = existing
      ? {
          ...existing,
          containerName: container.name,
          cidrs: [...existing.cidrs, ...toAdd.map((c) => c.cidr)],
        }
      : {
          containerId: container.id,
          containerName: container.name,
          ifname: this.d.ifname,
          cidrs: toAdd.map((c) => c.cidr),
          since: new Date().toISOString(),
        };
    await this.#put(attachment);
    const live = [...new Set([...present, ...toAdd.map((c) => c.cidr)])];
    return { attachment: view(attachment, container, live), added: toAdd.map((c) => c.cidr), alreadyPresent };
  }

  async #detach(cidrTexts: string[], ref: string): Promise<Result<'detach'>> {
    const cidrs = cidrTexts.map((t) => parseInterfaceCidr(t));
    const container = await findContainer(this.d.docker, ref);
    const existing = this.d.store.current.attachments.find(
      (a) => a.containerId === container?.id || a.containerName === ref || a.containerId.startsWith(ref),
    );
    if (!container && !existing) {
      throw badInput(
        'container',
        `no container named "${ref}"`,
        '`docker ps -a` lists containers; `xnet-tui ps` lists attachments',
      );
    }
    const name = container?.name ?? existing!.containerName;
    const held = existing?.cidrs ?? [];
    const removing = cidrs.length === 0 ? held : held.filter((h) => cidrs.some((c) => c.cidr === h));
    const notAttached = cidrs.map((c) => c.cidr).filter((c) => !held.includes(c));
    const remaining = held.filter((h) => !removing.includes(h));
    let interfaceRemoved = false;
    if (container?.running && removing.length > 0) {
      const live = await containerInterface(container.pid, this.d.ifname);
      if (live) {
        if (remaining.length === 0) {
          await unplug(container.pid, this.d.ifname);
          interfaceRemoved = true;
        } else {
          const present = removing.filter((c) =>
            live.addr_info.some((a) => `${a.local}/${a.prefixlen}` === c),
          );
          await removeAddresses(container.pid, this.d.ifname, present);
        }
      }
    }
    if (existing && removing.length > 0) {
      if (remaining.length === 0) await this.#drop(existing.containerId);
      else await this.#put({ ...existing, cidrs: remaining });
      // Detach undoes attach: the addresses go back to the router's IPAM. The kernel is already clean, so a
      // router that does not answer is logged, not an error (Weave frees a removed container's addresses itself).
      await this.#router
        ?.release(existing.containerId, removing)
        .catch((err: Error) => this.d.log(`release ${removing.join(' ')}: ${err.message}`));
    }
    return { container: name, removed: removing, notAttached, interfaceRemoved };
  }

  async ps(): Promise<Result<'ps'>> {
    const rows = await Promise.all(
      this.d.store.current.attachments.map(async (a) => {
        const c = await findContainer(this.d.docker, a.containerId);
        return view(a, c, c?.running ? await this.#liveCidrs(c) : undefined);
      }),
    );
    return { attachments: rows };
  }

  /** The container holding `address` on this host, if any (answers peers asking before they attach). */
  localOwner(address: string): string | undefined {
    return this.d.store.current.attachments.find((a) => a.cidrs.some((c) => c.split('/')[0] === address))
      ?.containerName;
  }

  /** The bridge MTU changed (router launched or stopped): every attached pair follows, without re-attaching. */
  setMtu(mtu: number): Promise<void> {
    return this.#serial(async () => {
      this.#bridgeMtu = mtu;
      this.#bridgeName = this.#bridge();
      for (const a of this.d.store.current.attachments) {
        const c = await findContainer(this.d.docker, a.containerId);
        if (!c?.running) continue;
        await ipBatch(this.d.hostNetns, [`link set ${hostVethName(a.containerId)} mtu ${mtu}`]).catch(
          () => undefined,
        );
        await ipBatch(netnsOfPid(c.pid), [`link set ${a.ifname} mtu ${mtu}`]).catch(() => undefined);
      }
    });
  }

  /** Every container on the host, attached or not, for the UI's Containers pane. */
  async containers(): Promise<Result<'containers'>> {
    const [list, { attachments }] = await Promise.all([listContainers(this.d.docker), this.ps()]);
    const byId = new Map(attachments.map((a) => [a.containerId, a]));
    return {
      containers: list.map((c) => ({ ...c, attachment: byId.get(c.id) ?? null })),
    };
  }

  /** Brings one container's interface back to its desired state (after `docker start`, or at agent start). */
  reconcileContainer(containerId: string): Promise<void> {
    return this.#serial(async () => {
      const a = this.d.store.current.attachments.find((x) => x.containerId === containerId);
      if (!a) return;
      const c = await findContainer(this.d.docker, containerId);
      if (!c) {
        this.d.log(`container ${a.containerName} is gone; dropping its attachment ${a.cidrs.join(' ')}`);
        await this.#drop(containerId);
        return;
      }
      if (!c.running) return;
      const present = (await this.#liveCidrs(c)) ?? (await this.#plug(c)).present;
      const missing = a.cidrs.filter((cidr) => !present.includes(cidr));
      if (missing.length === 0) return;
      await addAddresses(c.pid, a.ifname, missing);
      for (const cidr of missing) announce(c.pid, a.ifname, cidr.split('/')[0]!, this.d.log);
      this.d.log(`re-attached ${c.name}: ${missing.join(' ')}`);
    });
  }

  /** IPv4 addresses on the container's interface, or undefined when it has none. */
  async #liveCidrs(c: ContainerInfo): Promise<string[] | undefined> {
    const live = await containerInterface(c.pid, this.d.ifname);
    return live && liveCidrs(live);
  }

  /**
   * Plugs the container into the bridge. The bridge is looked up once and remembered; if the plug fails
   * (bridge deleted behind our back, an interface left from a crash) we look again and retry once.
   */
  async #plug(c: ContainerInfo): Promise<{ created: boolean; present: string[] }> {
    const attempt = async (): Promise<void> => {
      const bridge = this.#bridge();
      if (bridge !== this.#bridgeName) {
        this.#bridgeName = bridge;
        this.#bridgeMtu = undefined;
      }
      this.#bridgeMtu ??= (await ensureBridge(this.d.hostNetns, bridge)).mtu;
      await plug({
        hostNetns: this.d.hostNetns,
        bridge,
        mtu: this.#bridgeMtu,
        pid: c.pid,
        hostIfname: hostVethName(c.id),
        ifname: this.d.ifname,
        mac: containerMac(c.id),
      });
    };
    try {
      await attempt();
      return { created: true, present: [] };
    } catch (first) {
      this.#bridgeMtu = undefined;
      const left = await this.#liveCidrs(c);
      if (left) return { created: false, present: left };
      try {
        await attempt();
      } catch {
        throw first;
      }
      return { created: true, present: [] };
    }
  }

  async reconcileAll(): Promise<void> {
    for (const a of [...this.d.store.current.attachments]) {
      await this.reconcileContainer(a.containerId).catch((err: Error) =>
        this.d.log(`reconcile ${a.containerName}: ${err.message}`),
      );
    }
  }

  /** docker `destroy`: the container will never come back, so neither will its attachment. */
  forgetContainer(containerId: string): Promise<void> {
    return this.#serial(async () => {
      const a = this.d.store.current.attachments.find((x) => x.containerId === containerId);
      if (!a) return;
      this.d.log(`container ${a.containerName} destroyed; dropping its attachment ${a.cidrs.join(' ')}`);
      await this.#drop(containerId);
    });
  }

  async #runningContainer(ref: string): Promise<ContainerInfo> {
    const c = await findContainer(this.d.docker, ref);
    if (!c)
      throw badInput('container', `no container named "${ref}"`, '`docker ps` lists running containers');
    if (!c.running)
      throw badInput(
        'container',
        `container ${c.name} is ${c.status}, not running`,
        `start it first: docker start ${c.name}`,
      );
    const hostNs = this.d.hostNetns ?? '/proc/self/ns/net';
    if (c.networkMode === 'host' || netnsId(netnsOfPid(c.pid)) === netnsId(hostNs)) {
      throw badInput(
        'container',
        `container ${c.name} uses the host's network namespace`,
        'attach gives a container its own interface; run it without --network host',
      );
    }
    return c;
  }

  async #put(a: Attachment): Promise<void> {
    await this.d.store.update((s) => ({
      ...s,
      attachments: [...s.attachments.filter((x) => x.containerId !== a.containerId), a],
    }));
  }

  async #drop(containerId: string): Promise<void> {
    await this.d.store.update((s) => ({
      ...s,
      attachments: s.attachments.filter((x) => x.containerId !== containerId),
    }));
  }
}

function liveCidrs(live: IpAddr): string[] {
  return live.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`);
}

function view(a: Attachment, c: ContainerInfo | undefined, live: string[] | undefined): AttachmentView {
  const inSync = live !== undefined && a.cidrs.every((x) => live.includes(x));
  return {
    container: c?.name ?? a.containerName,
    containerId: a.containerId,
    ifname: a.ifname,
    hostIfname: hostVethName(a.containerId),
    mac: live ? containerMac(a.containerId) : null,
    cidrs: a.cidrs,
    live: live ?? [],
    state: !c?.running ? 'container-stopped' : inSync ? 'attached' : 'drift',
  };
}
