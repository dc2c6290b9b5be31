import type Docker from 'dockerode';
import { badInput } from '../errors.js';
import { parseInterfaceCidr } from '../net/cidr.js';
import { containerInterface, removeAddresses, unplug } from '../net/veth.js';
import { findContainer } from '../docker/containers.js';
import type { Result } from '../api/index.js';
import type { AttachRouter } from './attach-steps.js';
import type { Attachment, StateStore } from './state.js';

export interface DetachDeps {
  docker: Docker;
  store: StateStore;
  ifname: string;
  router: AttachRouter;
  log: (msg: string) => void;
  /** Every attach record is on disk (or undone): detach starts from a written state. */
  allSettled(): Promise<void>;
  cancelRetries(containerId: string): void;
  /** Puts the kernel back to the state (already in the attacher's queue). */
  reconcile(containerId: string): Promise<void>;
  put(a: Attachment): Promise<void>;
  drop(containerId: string): Promise<void>;
}

/**
 * Detach undoes what attach did (attach-steps.ts): the addresses asked for, or the whole interface when none
 * is left or none is named, then the record, then the router's IPAM. A container gone from docker is detached
 * from the state alone; one never attached is bad input. Runs in the attacher's queue.
 */
export async function detachContainer(
  cidrTexts: string[],
  ref: string,
  d: DetachDeps,
): Promise<Result<'detach'>> {
  const cidrs = cidrTexts.map((t) => parseInterfaceCidr(t));
  await d.allSettled();
  const container = await findContainer(d.docker, ref);
  const existing = d.store.current.attachments.find(
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
    const live = await containerInterface(container.pid, d.ifname);
    if (live) {
      if (remaining.length === 0) {
        await unplug(container.pid, d.ifname);
        interfaceRemoved = true;
      } else {
        const present = removing.filter((c) => live.addr_info.some((a) => `${a.local}/${a.prefixlen}` === c));
        await removeAddresses(container.pid, d.ifname, present);
      }
    }
  }
  if (existing && removing.length > 0) {
    if (remaining.length === 0) d.cancelRetries(existing.containerId);
    try {
      if (remaining.length === 0) await d.drop(existing.containerId);
      else await d.put({ ...existing, cidrs: remaining });
    } catch (err) {
      // The state still holds them: put the kernel back to it rather than leave it half-detached.
      await d.reconcile(existing.containerId).catch((e: Error) => d.log(`detach undo: ${e.message}`));
      throw err;
    }
    // Detach undoes attach: the addresses go back to the router's IPAM. The kernel is already clean, so a
    // router that does not answer is logged, not an error (Weave frees a removed container's addresses itself).
    await d.router
      .release(existing.containerId, removing)
      .catch((err: Error) => d.log(`release ${removing.join(' ')}: ${err.message}`));
  }
  return { container: name, removed: removing, notAttached, interfaceRemoved };
}
