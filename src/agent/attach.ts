// One piece (~400 lines): every change to a container's interface (attach, detach, reconcile, MTU, die) goes
// through this class's one queue, so no two of them interleave; the rules, the steps and the state writes are
// in attach-*.ts.
import type Docker from 'dockerode';
import { badInput } from '../errors.js';
import { parseInterfaceCidr, type InterfaceCidr } from '../net/cidr.js';
import { ipBatch, link, routes4 } from '../net/ip.js';
import { ownRoutes4 } from '../net/proc-route.js';
import { netnsId, netnsOfPid, type NetnsPath } from '../net/netns.js';
import { namedNetns } from '../net/overlay.js';
import { containerInterface, hostVethName, removeAddresses, unplug } from '../net/veth.js';
import { procCidrs } from '../net/proc-addrs.js';
import { findContainer, listContainers, type ContainerInfo } from '../docker/containers.js';
import type { StateStore, Attachment } from './state.js';
import type { ReconcileFailure, Result } from '../api/index.js';
import { parseRequest, planAttach, refuseOwned, type AttachPlan, type AttachStep } from './attach-plan.js';
import { runSteps, type AttachRouter } from './attach-steps.js';
import { BridgePorts } from './attach-port.js';
import { clashOf, failureView, liveCidrs, view } from './attach-view.js';
import { Retries } from './retries.js';
import { attachTrace, type AttachTrace } from './attach-trace.js';
import { AttachWrites } from './attach-writes.js';

export interface AttachDeps {
  docker: Docker;
  store: StateStore;
  /** Namespace the agent manages (undefined: its own): host routes, the host-network check. */
  hostNetns: NetnsPath;
  bridge: string;
  /** The agent's overlay namespace (a name): where its own bridge is before any launch, as the vxlan driver's is. */
  overlayNetns: string;
  ifname: string;
  log: (msg: string) => void;
  router: AttachRouter;
}

/**
 * Attach and detach, the `weave attach` contract: read what is there, decide (planAttach, pure), then run
 * the steps, undoing them if one fails. Detach sits beside attach and undoes exactly what it did.
 */
export class Attacher {
  #queue: Promise<unknown> = Promise.resolve();
  readonly #writes: AttachWrites;
  readonly #ports: BridgePorts;
  /** Containers whose reconcile failed: tried again with back-off, the reason shown by ps and status. */
  readonly #retries = new Retries((id) => this.reconcileContainer(id));
  #plugged: ((hostIfname: string, netns: NetnsPath) => Promise<void>) | undefined;

  constructor(private readonly d: AttachDeps) {
    this.#ports = new BridgePorts(d.hostNetns, d.ifname, () => this.#point());
    // Once on disk the mesh is told (a crash before that is repaired at start: MeshAddresses.start tells it).
    this.#writes = new AttachWrites(d.store, () => d.router.changed());
  }

  /** Telemetry hooks its counters on a new host-side veth here, inside attach, so its first packet counts. */
  usePlugged(fn: (hostIfname: string, netns: NetnsPath) => Promise<void>): void {
    this.#plugged = fn;
  }

  /**
   * The bridge containers go on now and the named namespace it is in: the router's, or (none launched) the
   * agent's own bridge in the overlay namespace, where the default vxlan driver will use it as it is.
   */
  #point(): { bridge: string; netns: string | null } {
    return this.d.router.point() ?? { bridge: this.d.bridge, netns: this.d.overlayNetns };
  }

  #bridge(): string {
    return this.#point().bridge;
  }

  /** The namespace of the bridge and the host-side veths, as a path commands enter. */
  #portNetns(): NetnsPath {
    const name = this.#point().netns;
    return name ? namedNetns(name) : this.d.hostNetns;
  }

  /** One change at a time: two attaches racing for the same address must not both pass validation. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(fn, fn);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /**
   * The container is looked up outside the queue (a read, by name), so concurrent attaches inspect together;
   * the queue holds only the decision and the kernel changes. The caller is answered once the state file holds
   * the attachment (written together with whatever else was attached meanwhile), and the mesh is told after.
   */
  async attach(cidrTexts: string[], ref: string): Promise<Result<'attach'>> {
    const trace = attachTrace();
    const cidrs = parseRequest(cidrTexts);
    const container = await this.#runningContainer(ref);
    trace?.mark('inspect');
    const { result, durable } = await this.#serial(() => this.#attach(cidrs, container, trace));
    await durable;
    trace?.mark('durable');
    if (trace) this.d.log(trace.line(container.name));
    return result;
  }

  detach(cidrTexts: string[], ref: string): Promise<Result<'detach'>> {
    return this.#serial(() => this.#detach(cidrTexts, ref));
  }

  async #attach(
    cidrs: InterfaceCidr[],
    container: ContainerInfo,
    trace: AttachTrace | undefined,
  ): Promise<{ result: Result<'attach'>; durable: Promise<void> }> {
    await this.#writes.settled(container.id);
    const { plan, live } = await this.#plan(container, cidrs);
    trace?.mark('plan');
    // One question to the mesh per address, asked together: each waits out the mesh's answers.
    const owners = await Promise.all(plan.ask.map((a) => this.d.router.owner(a)));
    const owned = refuseOwned(plan, owners);
    if (owned) throw owned;
    trace?.mark('owner');
    const { durable } = await this.#run(plan.steps, container, plan.attachment.ifname, trace);
    const now = [...new Set([...(live ?? []), ...plan.attachment.cidrs])];
    return {
      result: {
        attachment: view(plan.attachment, container, now),
        added: plan.added,
        alreadyPresent: plan.alreadyPresent,
        repaired: plan.repaired,
      },
      durable: durable.then(() => this.#retries.succeeded(container.id)),
    };
  }

  /** Reads what the decision rests on (state, routes, the container's interface) and decides. */
  async #plan(
    c: ContainerInfo,
    cidrs: InterfaceCidr[],
  ): Promise<{ plan: AttachPlan; live: string[] | undefined }> {
    // Read together (each is an `ip` process); a host end of its name only matters when the container has no
    // ethwe. A container new to the state is plugged straight away: a leftover pair makes the plug fail, and
    // BridgePorts removes it and plugs again, so the two reads are saved on the common path.
    const known = this.d.store.current.attachments.some((a) => a.containerId === c.id);
    const [routes, live, hostEnd] = await Promise.all([
      // Our own namespace's table is a file to read: no `ip` process on every attach.
      this.d.hostNetns ? routes4(this.d.hostNetns) : ownRoutes4(),
      known ? this.#liveCidrs(c) : undefined,
      // The namespace itself may be gone (reset removed it): then so is the host end.
      known ? link(this.#portNetns(), hostVethName(c.id)).catch(() => undefined) : undefined,
    ]);
    const hostVeth = live === undefined && Boolean(hostEnd);
    const decision = planAttach({
      cidrs,
      container: c,
      attachments: this.d.store.current.attachments,
      live,
      hostVeth,
      routes,
      bridge: this.#bridge(),
      ifname: this.d.ifname,
      now: new Date().toISOString(),
    });
    if ('refusal' in decision) throw decision.refusal;
    return { plan: decision.plan, live };
  }

  #run(
    steps: readonly AttachStep[],
    c: ContainerInfo,
    ifname: string,
    trace?: AttachTrace,
  ): Promise<{ durable: Promise<void> }> {
    return runSteps(steps, c, ifname, {
      portNetns: this.#portNetns(),
      router: this.d.router,
      plug: (x) => this.#ports.plug(x),
      hook: async (x) => {
        await this.#plugged?.(hostVethName(x.id), this.#portNetns()).catch((err: Error) =>
          this.d.log(`counters on ${hostVethName(x.id)}: ${err.message}`),
        );
      },
      ...(trace ? { mark: (step: string) => trace.mark(step) } : {}),
      record: (a) => this.#writes.record(a),
      log: this.d.log,
    });
  }

  async #detach(cidrTexts: string[], ref: string): Promise<Result<'detach'>> {
    const cidrs = cidrTexts.map((t) => parseInterfaceCidr(t));
    await this.#writes.allSettled();
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
      if (remaining.length === 0) this.#retries.cancel(existing.containerId);
      try {
        if (remaining.length === 0) await this.#drop(existing.containerId);
        else await this.#put({ ...existing, cidrs: remaining });
      } catch (err) {
        // The state still holds them: put the kernel back to it rather than leave it half-detached.
        await this.#reconcile(existing.containerId).catch((e: Error) =>
          this.d.log(`detach undo: ${e.message}`),
        );
        throw err;
      }
      // Detach undoes attach: the addresses go back to the router's IPAM. The kernel is already clean, so a
      // router that does not answer is logged, not an error (Weave frees a removed container's addresses itself).
      await this.d.router
        .release(existing.containerId, removing)
        .catch((err: Error) => this.d.log(`release ${removing.join(' ')}: ${err.message}`));
    }
    return { container: name, removed: removing, notAttached, interfaceRemoved };
  }

  async ps(): Promise<Result<'ps'>> {
    return this.#rows((_a, c) => this.#liveCidrs(c));
  }

  /**
   * ps for the health watch and the Containers pane, every few seconds or every second per TUI: each running
   * container's addresses from /proc (no process per container); only one that seems to lack an address is
   * asked with `ip`, so what it reports is ps's.
   */
  async psCheap(): Promise<Result<'ps'>> {
    return this.#rows(async (a, c) => {
      const seen = await procCidrs(c.pid, a.ifname);
      return seen && a.cidrs.every((x) => seen.includes(x)) ? seen : this.#liveCidrs(c);
    });
  }

  /** One row per attachment; `live` reads a running container's addresses. */
  async #rows(
    live: (a: Attachment, c: ContainerInfo) => Promise<string[] | undefined>,
  ): Promise<Result<'ps'>> {
    const clashes = this.d.router.clashes();
    const rows = await Promise.all(
      this.d.store.current.attachments.map(async (a) => {
        const c = await findContainer(this.d.docker, a.containerId);
        const failure = this.#retries.get(a.containerId);
        return view(a, c, c?.running ? await live(a, c) : undefined, failure, clashOf(a, clashes));
      }),
    );
    return { attachments: rows };
  }

  /** The bridge MTU changed (router launched or stopped): every attached pair follows, without re-attaching. */
  setMtu(mtu: number): Promise<void> {
    return this.#serial(async () => {
      await this.#writes.allSettled();
      this.#ports.setMtu(mtu);
      for (const a of this.d.store.current.attachments) {
        const c = await findContainer(this.d.docker, a.containerId);
        if (!c?.running) continue;
        await ipBatch(this.#portNetns(), [`link set ${hostVethName(a.containerId)} mtu ${mtu}`]).catch(
          () => undefined,
        );
        await ipBatch(netnsOfPid(c.pid), [`link set ${a.ifname} mtu ${mtu}`]).catch(() => undefined);
      }
    });
  }

  /**
   * Every container on the host, attached or not, for the UI's Containers pane: each TUI asks every second, so
   * addresses come from /proc (psCheap), not from an `ip` process per container per TUI.
   */
  async containers(): Promise<Result<'containers'>> {
    const [list, { attachments }] = await Promise.all([listContainers(this.d.docker), this.psCheap()]);
    const byId = new Map(attachments.map((a) => [a.containerId, a]));
    return {
      containers: list.map((c) => ({ ...c, attachment: byId.get(c.id) ?? null })),
    };
  }

  /**
   * Brings one container's interface back to its desired state (after `docker start`, or at agent start).
   * A failure is logged and retried with back-off (ps and status show why) until it works or the container
   * stops; it never rejects.
   */
  reconcileContainer(containerId: string): Promise<void> {
    return this.#serial(() => this.#reconcile(containerId)).then(
      () => this.#retries.succeeded(containerId),
      (err: Error) => {
        const name =
          this.d.store.current.attachments.find((a) => a.containerId === containerId)?.containerName ??
          containerId.slice(0, 12);
        const f = this.#retries.failed(containerId, err.message);
        this.d.log(
          `reconcile ${name}: ${err.message}; attempt ${f.attempts} failed, next in ${f.retryAt - Date.now()} ms`,
        );
      },
    );
  }

  async #reconcile(containerId: string): Promise<void> {
    await this.#writes.allSettled();
    const a = this.d.store.current.attachments.find((x) => x.containerId === containerId);
    if (!a) return;
    const c = await findContainer(this.d.docker, containerId);
    if (!c) {
      this.d.log(`container ${a.containerName} is gone; dropping its attachment ${a.cidrs.join(' ')}`);
      await this.#drop(containerId);
      return;
    }
    if (!c.running) return;
    const { plan } = await this.#plan(
      c,
      a.cidrs.map((t) => parseInterfaceCidr(t)),
    );
    if (plan.repaired.length === 0) return;
    const { durable } = await this.#run(plan.steps, c, a.ifname);
    await durable;
    this.d.log(`re-attached ${c.name}: ${plan.repaired.join(' ')}`);
  }

  /**
   * docker `die`: the container's namespace should go, and its veth pair with it; something else of ours or
   * an operator's may keep it alive, so the host end goes now, before `start` plugs the new namespace.
   */
  containerDied(containerId: string): Promise<void> {
    this.#retries.cancel(containerId);
    return this.#serial(async () => {
      await this.#writes.allSettled();
      if (!this.d.store.current.attachments.some((a) => a.containerId === containerId)) return;
      const name = hostVethName(containerId);
      const ns = this.#portNetns();
      if (await link(ns, name).catch(() => undefined)) await ipBatch(ns, [`link del ${name}`]);
    });
  }

  /** Reconciles that failed and are being retried, for the agent's status. */
  reconcileFailures(): ReconcileFailure[] {
    return this.#retries.list().map((f) => failureView(f, this.d.store.current.attachments));
  }

  close(): void {
    this.#retries.close();
    this.#ports.close();
  }

  /** IPv4 addresses on the container's interface, or undefined when it has none. */
  async #liveCidrs(c: ContainerInfo): Promise<string[] | undefined> {
    const live = await containerInterface(c.pid, this.d.ifname);
    return live && liveCidrs(live);
  }

  async reconcileAll(): Promise<void> {
    for (const a of [...this.d.store.current.attachments]) await this.reconcileContainer(a.containerId);
  }

  /** docker `destroy`: the container will never come back, so neither will its attachment. */
  forgetContainer(containerId: string): Promise<void> {
    return this.#serial(async () => {
      await this.#writes.allSettled();
      const a = this.d.store.current.attachments.find((x) => x.containerId === containerId);
      this.#retries.cancel(containerId);
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
    this.d.router.changed();
  }

  async #drop(containerId: string): Promise<void> {
    await this.d.store.update((s) => ({
      ...s,
      attachments: s.attachments.filter((x) => x.containerId !== containerId),
    }));
    this.d.router.changed();
  }
}
