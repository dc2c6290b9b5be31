import { FLOOD_MAC, fdbBatch, fdbEntries, type FdbEntry } from '../../net/fdb.js';
import { neighBatch, neighEntries, type NeighEntry } from '../../net/neigh.js';
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
 * What a pass that wrote `want` left on the devices (the entries forwardingPlan and neighPlan make), as the
 * kernel would list them: the current state a pass trusting the last one plans against. Pure.
 */
export function entriesOf(want: DeviceWant): {
  fdb: FdbEntry[];
  neigh: NeighEntry[];
  bridgeNeigh: NeighEntry[];
} {
  const vteps = new Set(want.vteps);
  const forwards = want.forwards.filter((f) => vteps.has(f.vtep));
  const macs = new Map(forwards.map((f) => [f.mac, f.vtep]));
  const neighOf = (fs: readonly Forward[]): NeighEntry[] => [
    ...new Map(fs.map((f) => [f.address, { dst: f.address, lladdr: f.mac, state: ['PERMANENT'] }])).values(),
  ];
  return {
    fdb: [
      ...[...vteps].map((dst) => ({ mac: FLOOD_MAC, dst })),
      ...[...macs].map(([mac, dst]) => ({ mac, dst })),
    ],
    neigh: neighOf(forwards),
    bridgeNeigh: neighOf(want.probes),
  };
}

/**
 * One programming pass: the VXLAN device's FDB and neighbours and the bridge's probe neighbours planned and
 * changed through the overlay namespace's long-lived `ip` and `bridge` batch sessions: no process per read or
 * write (a membership sync spawned five, each an nsenter and a tool, on every host at each join). Against the
 * kernel, read first (the device also holds what we did not write: the entries a miss leaves, which the plan
 * removes), or, given `trusted` (what the last pass wrote), against that: only the changes are written, with
 * no read (at 50 hosts forming, each of a pass's round trips waited for a CPU). A trusted plan that does not
 * fit the kernel fails its batch (a delete of an entry not there), and the caller's next pass reads.
 */
export async function programDevice(
  vx: { netns: NetnsPath; dev: string },
  bridge: string,
  want: DeviceWant,
  trusted?: DeviceWant,
): Promise<void> {
  const { netns, dev } = vx;
  const { fdb, neigh, bridgeNeigh } = trusted
    ? entriesOf(trusted)
    : await Promise.all([fdbEntries(netns, dev), neighEntries(netns, dev), neighEntries(netns, bridge)]).then(
        ([fdb, neigh, bridgeNeigh]) => ({ fdb, neigh, bridgeNeigh }),
      );
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
