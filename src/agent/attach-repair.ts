import type Docker from 'dockerode';
import { parseInterfaceCidr, type InterfaceCidr } from '../net/cidr.js';
import { ipBatch, link } from '../net/ip.js';
import { netnsOfPid, type NetnsPath } from '../net/netns.js';
import { hostVethName } from '../net/veth.js';
import { findContainer, type ContainerInfo } from '../docker/containers.js';
import type { ReconcileFailure } from '../api/index.js';
import type { AttachPlan, AttachStep } from './attach-plan.js';
import { failureView } from './attach-view.js';
import { Retries } from './retries.js';
import type { StateStore } from './state.js';

/** What repairs use of the attacher: its queue, its plan and steps, and where the host ends are. */
export interface RepairCore {
  docker: Docker;
  store: StateStore;
  log: (msg: string) => void;
  /** Runs `fn` in the attacher's one queue of interface changes. */
  serial<T>(fn: () => Promise<T>): Promise<T>;
  /** Every attach record is on disk (or undone): repairs start from a written state. */
  allSettled(): Promise<void>;
  plan(c: ContainerInfo, cidrs: InterfaceCidr[]): Promise<{ plan: AttachPlan }>;
  run(steps: readonly AttachStep[], c: ContainerInfo, ifname: string): Promise<{ durable: Promise<void> }>;
  drop(containerId: string): Promise<void>;
  portNetns(): NetnsPath;
  /** Plugs from now on use this MTU. */
  setPortMtu(mtu: number): void;
}

/**
 * Keeping the kernel to the desired state when no operator asked: at agent start, on docker `start`, `die` and
 * `destroy`, a new bridge MTU, and the retries of a reconcile that failed. An operator's attach and detach are attach.ts; these
 * run in the same queue, so neither interleaves with the other.
 */
export class Repairs {
  /** Containers whose reconcile failed: tried again with back-off, the reason shown by ps and status. */
  readonly retries = new Retries((id) => this.reconcileContainer(id));

  constructor(private readonly core: RepairCore) {}

  /**
   * Brings one container's interface back to its desired state (after `docker start`, or at agent start).
   * A failure is logged and retried with back-off (ps and status show why) until it works or the container
   * stops; it never rejects.
   */
  reconcileContainer(containerId: string): Promise<void> {
    return this.core
      .serial(() => this.reconcileNow(containerId))
      .then(
        () => this.retries.succeeded(containerId),
        (err: Error) => {
          const name =
            this.core.store.current.attachments.find((a) => a.containerId === containerId)?.containerName ??
            containerId.slice(0, 12);
          const f = this.retries.failed(containerId, err.message);
          this.core.log(
            `reconcile ${name}: ${err.message}; attempt ${f.attempts} failed, next in ${f.retryAt - Date.now()} ms`,
          );
        },
      );
  }

  /** The reconcile itself, for a caller already in the queue (a detach putting the kernel back). */
  async reconcileNow(containerId: string): Promise<void> {
    await this.core.allSettled();
    const a = this.core.store.current.attachments.find((x) => x.containerId === containerId);
    if (!a) return;
    const c = await findContainer(this.core.docker, containerId);
    if (!c) {
      this.core.log(`container ${a.containerName} is gone; dropping its attachment ${a.cidrs.join(' ')}`);
      await this.core.drop(containerId);
      return;
    }
    if (!c.running) return;
    const { plan } = await this.core.plan(
      c,
      a.cidrs.map((t) => parseInterfaceCidr(t)),
    );
    if (plan.repaired.length === 0) return;
    const { durable } = await this.core.run(plan.steps, c, a.ifname);
    await durable;
    this.core.log(`re-attached ${c.name}: ${plan.repaired.join(' ')}`);
  }

  async reconcileAll(): Promise<void> {
    for (const a of [...this.core.store.current.attachments]) await this.reconcileContainer(a.containerId);
  }

  /**
   * docker `die`: the container's namespace should go, and its veth pair with it; something else of ours or
   * an operator's may keep it alive, so the host end goes now, before `start` plugs the new namespace.
   */
  containerDied(containerId: string): Promise<void> {
    this.retries.cancel(containerId);
    return this.core.serial(async () => {
      await this.core.allSettled();
      if (!this.core.store.current.attachments.some((a) => a.containerId === containerId)) return;
      const name = hostVethName(containerId);
      const ns = this.core.portNetns();
      if (await link(ns, name).catch(() => undefined)) await ipBatch(ns, [`link del ${name}`]);
    });
  }

  /** docker `destroy`: the container will never come back, so neither will its attachment. */
  forgetContainer(containerId: string): Promise<void> {
    return this.core.serial(async () => {
      await this.core.allSettled();
      const a = this.core.store.current.attachments.find((x) => x.containerId === containerId);
      this.retries.cancel(containerId);
      if (!a) return;
      this.core.log(`container ${a.containerName} destroyed; dropping its attachment ${a.cidrs.join(' ')}`);
      await this.core.drop(containerId);
    });
  }

  /** The bridge MTU changed (router launched or stopped): every attached pair follows, without re-attaching. */
  setMtu(mtu: number): Promise<void> {
    return this.core.serial(async () => {
      await this.core.allSettled();
      this.core.setPortMtu(mtu);
      for (const a of this.core.store.current.attachments) {
        const c = await findContainer(this.core.docker, a.containerId);
        if (!c?.running) continue;
        await ipBatch(this.core.portNetns(), [`link set ${hostVethName(a.containerId)} mtu ${mtu}`]).catch(
          () => undefined,
        );
        await ipBatch(netnsOfPid(c.pid), [`link set ${a.ifname} mtu ${mtu}`]).catch(() => undefined);
      }
    });
  }

  /** Reconciles that failed and are being retried, for the agent's status. */
  failures(): ReconcileFailure[] {
    return this.retries.list().map((f) => failureView(f, this.core.store.current.attachments));
  }
}
