// Every change to a container's interface (attach, detach, reconcile, MTU, die) goes through this class's one
// queue, so no two of them interleave; the rules, the steps, detach, the repairs and the state writes are in
// attach-*.ts.
import type Docker from 'dockerode';
import type { InterfaceCidr } from '../net/cidr.js';
import { link, routes4 } from '../net/ip.js';
import { ownRoutes4 } from '../net/proc-route.js';
import { netnsOfPid, type NetnsPath } from '../net/netns.js';
import { namedNetns } from '../net/overlay.js';
import { hostVethName } from '../net/veth.js';
import { findContainer, type ContainerInfo } from '../docker/containers.js';
import type { StateStore } from './state.js';
import type { ReconcileFailure, Result } from '../api/index.js';
import { parseRequest, planAttach, refuseOwned, type AttachPlan, type AttachStep } from './attach-plan.js';
import { runSteps, type AttachRouter, type StepDeps } from './attach-steps.js';
import { BridgePorts } from './attach-port.js';
import { clashOf, view } from './attach-view.js';
import { liveCidrsOf } from './live-cidrs.js';
import { Repairs } from './attach-repair.js';
import { detachContainer } from './attach-detach.js';
import { runningContainer } from './attach-lookup.js';
import { NetnsRunner } from '../net/netns-runner.js';
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
  /** A container the agent's container cache holds fresh (no inspect); undefined: ask dockerd. */
  cached?: (ref: string) => ContainerInfo | undefined;
}

/**
 * Attach and detach, the `weave attach` contract: read what is there, decide (planAttach, pure), then run
 * the steps, undoing them if one fails. Detach sits beside attach and undoes exactly what it did.
 */
export class Attacher {
  #queue: Promise<unknown> = Promise.resolve();
  readonly #writes: AttachWrites;
  readonly #ports: BridgePorts;
  readonly #repairs: Repairs;
  readonly #runner = new NetnsRunner();
  #plugged: ((hostIfname: string, netns: NetnsPath) => Promise<void>) | undefined;
  #beforeUp: ((containerId: string) => Promise<void>) | undefined;

  constructor(private readonly d: AttachDeps) {
    this.#ports = new BridgePorts(d.hostNetns, d.ifname, () => this.#point(), this.#runner);
    // Once on disk the mesh is told (a crash before that is repaired at start: MeshAddresses.start tells it).
    this.#writes = new AttachWrites(d.store, () => d.router.changed());
    this.#repairs = new Repairs({
      docker: d.docker,
      store: d.store,
      log: d.log,
      serial: (fn) => this.#serial(fn),
      allSettled: () => this.#writes.allSettled(),
      plan: (c, cidrs) => this.#plan(c, cidrs),
      run: (steps, c, ifname) => this.#run(steps, c, ifname),
      drop: (id) => this.#writes.put(id, undefined),
      portNetns: () => this.#portNetns(),
      setPortMtu: (mtu) => this.#ports.setMtu(mtu),
    });
  }

  /** Telemetry hooks its counters on a new host-side veth here, inside attach, so its first packet counts. */
  usePlugged(fn: (hostIfname: string, netns: NetnsPath) => Promise<void>): void {
    this.#plugged = fn;
  }

  /** Telemetry's fast path learns a container's MAC here, before its end is up (attach-steps.ts, beforeUp). */
  useBeforeUp(fn: (containerId: string) => Promise<void>): void {
    this.#beforeUp = fn;
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
    const container = await runningContainer(this.d.docker, ref, this.d.hostNetns, this.d.cached);
    trace?.mark('inspect');
    const { result, durable } = await this.#serial(() => this.#attach(cidrs, container, trace));
    await durable;
    trace?.mark('durable');
    if (trace) this.d.log(trace.line(container.name));
    return result;
  }

  detach(cidrTexts: string[], ref: string): Promise<Result<'detach'>> {
    return this.#serial(() =>
      detachContainer(cidrTexts, ref, {
        docker: this.d.docker,
        store: this.d.store,
        ifname: this.d.ifname,
        router: this.d.router,
        log: this.d.log,
        allSettled: () => this.#writes.allSettled(),
        cancelRetries: (id) => this.#repairs.retries.cancel(id),
        reconcile: (id) => this.#repairs.reconcileNow(id),
        put: (a) => this.#writes.put(a.containerId, a),
        drop: (id) => this.#writes.put(id, undefined),
      }),
    );
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
    const { durable } = await this.#run(plan.steps, container, plan.attachment.ifname, {
      // The container's `ip` is started by the runner's shell: no spawn from the agent on attach's path.
      inContainer: (lines) => this.#runner.ipBatch(netnsOfPid(container.pid), lines),
      ...(trace ? { mark: (step: string) => trace.mark(step) } : {}),
    });
    const now = [...new Set([...(live ?? []), ...plan.attachment.cidrs])];
    return {
      result: {
        attachment: view(plan.attachment, container, now),
        added: plan.added,
        alreadyPresent: plan.alreadyPresent,
        repaired: plan.repaired,
      },
      durable: durable.then(() => this.#repairs.retries.succeeded(container.id)),
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
      known ? liveCidrsOf(c.pid, this.d.ifname) : undefined,
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
    extra: Partial<Pick<StepDeps, 'inContainer' | 'mark'>> = {},
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
      beforeUp: async (x) => this.#beforeUp?.(x.id),
      ...extra,
      record: (a) => this.#writes.record(a),
      log: this.d.log,
    });
  }

  /**
   * `ps`: each attachment as docker and the kernel say it the moment it is asked (an inspect and an `ip` per
   * container). What asks every few seconds (the health watch, the Containers pane) takes containers.ts's rows
   * from the container cache and /proc instead.
   */
  async ps(): Promise<Result<'ps'>> {
    const clashes = this.d.router.clashes();
    const rows = await Promise.all(
      this.d.store.current.attachments.map(async (a) => {
        const c = await findContainer(this.d.docker, a.containerId);
        const failure = this.#repairs.retries.get(a.containerId);
        const live = c?.running ? await liveCidrsOf(c.pid, this.d.ifname) : undefined;
        return view(a, c, live, failure, clashOf(a, clashes));
      }),
    );
    return { attachments: rows };
  }

  /** The bridge MTU changed (router launched or stopped): every attached pair follows, without re-attaching. */
  setMtu(mtu: number): Promise<void> {
    return this.#repairs.setMtu(mtu);
  }

  // Repairs (repair.ts), here for the agent: at start, on docker events, and the failed reconciles' status.
  reconcileContainer(containerId: string): Promise<void> {
    return this.#repairs.reconcileContainer(containerId);
  }
  reconcileAll(): Promise<void> {
    return this.#repairs.reconcileAll();
  }
  containerDied(containerId: string): Promise<void> {
    return this.#repairs.containerDied(containerId);
  }
  forgetContainer(containerId: string): Promise<void> {
    return this.#repairs.forgetContainer(containerId);
  }
  reconcileFailures(): ReconcileFailure[] {
    return this.#repairs.failures();
  }

  close(): void {
    this.#repairs.retries.close();
    this.#runner.close();
  }
}
