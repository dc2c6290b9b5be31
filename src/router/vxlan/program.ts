import { fdbBatch, fdbEntries } from '../../net/fdb.js';
import { neighBatch, neighEntries } from '../../net/neigh.js';
import type { NetnsPath } from '../../net/netns.js';
import { forwardingPlan, neighPlan, type Forward } from './forwarding.js';

export interface DeviceWant {
  /** The alive peers' VTEPs (head-end replication for what the table does not know). */
  vteps: readonly string[];
  forwards: readonly Forward[];
  /** The peers' probe addresses, pinned on the bridge too. */
  probes: readonly Forward[];
}

/**
 * One programming pass: the VXLAN device's FDB and neighbours and the bridge's probe neighbours read, planned
 * and changed through the overlay namespace's long-lived `ip` and `bridge` batch sessions: no process per read
 * or write (a membership sync spawned five, each an nsenter and a tool, on every host at each join). The kernel
 * is read on every pass rather than trusting what we last wrote: a read costs a pipe round trip now, and the
 * device also holds what we did not write (the entries a miss leaves, the bridge's own), which the plan removes.
 */
export async function programDevice(
  vx: { netns: NetnsPath; dev: string },
  bridge: string,
  want: DeviceWant,
): Promise<void> {
  const { netns, dev } = vx;
  const [fdb, neigh, bridgeNeigh] = await Promise.all([
    fdbEntries(netns, dev),
    neighEntries(netns, dev),
    neighEntries(netns, bridge),
  ]);
  const plan = forwardingPlan(dev, { fdb, neigh }, { vteps: want.vteps, forwards: want.forwards });
  // The probes' own source resolves the peers' probe addresses from permanent entries too: no ND, and no
  // dynamic entry per peer. The kernel's neighbour table is one per machine, not per namespace, with room
  // for 1024 dynamic entries (gc_thresh3): a 50-host lab's probes alone made 2450 and overflowed it.
  // FDB and neighbours are apart in the kernel: both sessions at once (a join waits for this pass).
  await Promise.all([
    fdbBatch(netns, plan.fdb),
    neighBatch(netns, [...plan.neigh, ...neighPlan(bridge, bridgeNeigh, want.probes)]),
  ]);
}
