import { XnetError, failed } from '../errors.js';
import { ipBatch } from '../net/ip.js';
import { netnsOfPid, type NetnsPath } from '../net/netns.js';
import { addAddresses, announce, hostVethName, unplug } from '../net/veth.js';
import type { ContainerInfo } from '../docker/containers.js';
import type { AttachStep, MeshOwner } from './attach-plan.js';
import type { Attachment } from './state.js';
import type { Recorded } from './attach-writes.js';
import type { AddressClash } from '../api/router-status.js';

/**
 * What attach asks of the router: the bridge to plug into (its attach point; `xnet` for vxlan, `weave` for
 * Weave), who in the mesh holds an address, and its IPAM when it has one (claim before use, release after).
 */
export interface AttachRouter {
  /**
   * The bridge to plug into and the named namespace it is in (null: the agent's own); undefined: no router
   * launched, containers go on the agent's own bridge.
   */
  point(): { bridge: string; netns: string | null } | undefined;
  owner(address: string): Promise<MeshOwner | undefined>;
  /** This host's attachments changed in the state (the router tells the mesh, when it has a table). */
  changed(): void;
  /** Addresses claimed by two hosts at once (the router's table), to flag the newer claim. */
  clashes(): AddressClash[];
  claim(containerId: string, cidrs: string[]): Promise<void>;
  release(containerId: string, cidrs: string[]): Promise<void>;
}

export interface StepDeps {
  /** Where the bridge and the host-side veths are (the overlay namespace, or the host's). */
  portNetns: NetnsPath;
  router: AttachRouter;
  /** Plugs the container into the bridge (the attacher remembers the bridge's MTU). */
  plug: (c: ContainerInfo) => Promise<void>;
  /** Hooks the counters on the new host end; never rejects (a failure is logged). */
  hook?: (c: ContainerInfo) => Promise<void>;
  /**
   * What must be done before the container's end comes up (the fast path learns its MAC is local): started
   * with the plug, awaited before the addresses' step; never rejects.
   */
  beforeUp?: (c: ContainerInfo) => Promise<void>;
  /** Runs `ip` lines in the container's namespace (a process started ahead); unset: a one-off `ip -batch`. */
  inContainer?: (lines: string[]) => Promise<void>;
  /** Applies the attachment to the state at once: on disk when `durable` settles; `undo` puts back the old. */
  record: (a: Attachment) => Recorded;
  log: (msg: string) => void;
  /** A step ended (the attach trace, when on). */
  mark?: (step: string) => void;
}

/**
 * Runs a plan's steps in order. When one fails, what the earlier ones did is undone in reverse order
 * (unplug, remove the addresses, put the record back and wait for that write, release the claim), so a
 * failed attach leaves the kernel, the state and the IPAM as they were; the error is the failing step's,
 * named. It returns once the kernel is programmed; `durable` settles when the state file also holds the record
 * (a write started before the kernel steps and shared with concurrent attaches), and if that write fails, the
 * kernel's undo runs before it rejects.
 */
export async function runSteps(
  steps: readonly AttachStep[],
  c: ContainerInfo,
  ifname: string,
  d: StepDeps,
): Promise<{ durable: Promise<void> }> {
  const undo: Array<{ what: string; run: () => Promise<void>; state?: true }> = [];
  // A failed state write has already put the state back (the store does): then only the rest is undone.
  const rollBack = async (err: unknown, written = true): Promise<never> => {
    for (const u of [...undo].reverse().filter((x) => written || !x.state))
      await u.run().catch((e: Error) => d.log(`attach ${c.name}: undo (${u.what}) failed: ${e.message}`));
    throw err instanceof XnetError ? err : failed(`attach ${c.name}: ${(err as Error).message}`);
  };
  let written: Promise<void> | undefined;
  const announced: string[] = [];
  // The counters' hook (tc, in the bridge's namespace) runs beside the addresses (ip, in the container's):
  // both are done before attach returns, and the container end is down until the addresses' batch ends.
  let hooked: Promise<void> = Promise.resolve();
  let ready: Promise<void> = Promise.resolve();
  try {
    for (const s of steps) {
      switch (s.kind) {
        case 'claim':
          await d.router.claim(c.id, s.cidrs);
          undo.push({ what: `release ${s.cidrs.join(' ')}`, run: () => d.router.release(c.id, s.cidrs) });
          break;
        case 'remove-stale-veth':
          // The host end of the pair from the container's previous namespace (something kept that alive).
          await ipBatch(d.portNetns, [`link del ${hostVethName(c.id)}`]);
          d.log(`${c.name}: removed the stale ${hostVethName(c.id)} left from its previous namespace`);
          break;
        case 'plug':
          ready = d.beforeUp?.(c) ?? ready;
          await d.plug(c);
          undo.push({ what: `unplug ${ifname}`, run: () => unplug(c.pid, ifname) });
          hooked = d.hook?.(c) ?? hooked;
          break;
        case 'add-addresses':
          await ready;
          await addAddresses(c.pid, ifname, s.cidrs, d.inContainer);
          undo.push({ what: `remove ${s.cidrs.join(' ')}`, run: () => removeEach(c.pid, ifname, s.cidrs) });
          break;
        case 'record': {
          // Applied now (the next attach decides on it), on disk with the next group write while the kernel
          // steps run: awaited after them, so the fsync and the processes overlap.
          const r = d.record(s.attachment);
          written = r.durable;
          undo.push({ what: 'put the record back', run: r.undo, state: true });
          break;
        }
        case 'announce':
          announced.push(...s.addresses);
          break;
      }
      d.mark?.(s.kind);
    }
    await hooked;
    d.mark?.('hook');
  } catch (err) {
    await ready;
    await hooked;
    await rollBack(err);
  }
  const durable = written ? written.catch((err) => rollBack(err, false)) : Promise.resolve();
  // The gratuitous ARP's process starts after the caller's answer is sent (the answer is written from the
  // promise chain, before setImmediate's turn): a spawn blocks the agent's thread for a few ms.
  return {
    durable: durable.then(() => {
      for (const a of announced) setImmediate(() => announce(c.pid, ifname, a, d.log));
    }),
  };
}

/** One address at a time: `ip -batch` stops at the first line that fails, and a step may have added only some. */
async function removeEach(pid: number, ifname: string, cidrs: readonly string[]): Promise<void> {
  for (const cidr of cidrs)
    await ipBatch(netnsOfPid(pid), [`addr del ${cidr} dev ${ifname}`]).catch(() => undefined);
}
