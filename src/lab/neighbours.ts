import { ipBatch, link } from '../net/ip.js';
import type { LabHost } from './layout.js';

/**
 * Past this many hosts `lab up` writes each host's underlay neighbours (the other hosts' eth0) as permanent
 * entries. The kernel keeps one neighbour table for the whole machine, not one per namespace, with room for
 * 1024 dynamic entries (gc_thresh3): 50 hosts gossiping with each other make 2450 of them, the table
 * overflows ("neighbor table overflow", serf's joins fail with "no route to host", members flap), where 50
 * real hosts each have a table of their own. Permanent entries do not count against it.
 */
export const PIN_NEIGHBOURS_ABOVE = 10;

export async function pinUnderlayNeighbours(hosts: readonly LabHost[]): Promise<void> {
  const macs = await Promise.all(hosts.map(async (h) => (await link(h.netnsPath, 'eth0'))?.address));
  await Promise.all(
    hosts.map((h, i) =>
      ipBatch(
        h.netnsPath,
        hosts.flatMap((o, j) =>
          j !== i && macs[j] ? [`neigh replace ${o.address} lladdr ${macs[j]} dev eth0 nud permanent`] : [],
        ),
      ),
    ),
  );
}
