import { removeBridge } from '../net/bridge.js';
import { ipBatch, link } from '../net/ip.js';
import type { NetnsPath } from '../net/netns.js';
import { hostVethName } from '../net/veth.js';
import { VXLAN_DEV } from '../router/vxlan/description.js';
import { STATE_VERSION, type StateStore } from './state.js';

export interface MigrateDeps {
  store: StateStore;
  hostNetns: NetnsPath;
  /** The agent's own bridge name (`xnet`), which schema 1 kept in the host's namespace. */
  bridge: string;
  /** Where containers are plugged in from now on. */
  point: () => { name: string; netns: string | null };
  log: (msg: string) => void;
}

/**
 * Schema 1 kept the `xnet` bridge, the VXLAN device and the containers' host-side veths in the host's
 * namespace; schema 2 keeps them in the overlay namespace. Whatever of the old layout is there is removed
 * (a container loses its `ethwe` for a moment: packets may drop once), then the agent's reconcile plugs every
 * attachment into the overlay namespace with the same address and MAC, and the relaunch makes the VXLAN
 * device anew. Drivers whose bridge stays in the host's namespace (weave, ovs-gre, bridge) need nothing.
 */
export async function migrateLayout(d: MigrateDeps): Promise<void> {
  if (d.store.current.version >= STATE_VERSION) return;
  if (d.point().netns) {
    const moved: string[] = [];
    for (const a of d.store.current.attachments) {
      const name = hostVethName(a.containerId);
      if (!(await link(d.hostNetns, name))) continue;
      await ipBatch(d.hostNetns, [`link del ${name}`]);
      moved.push(a.containerName);
    }
    if (await link(d.hostNetns, VXLAN_DEV)) await ipBatch(d.hostNetns, [`link del ${VXLAN_DEV}`]);
    const old = await link(d.hostNetns, d.bridge);
    if (old) await removeBridge(d.hostNetns, d.bridge);
    d.log(
      `state schema ${d.store.current.version} -> ${STATE_VERSION}: the ${d.bridge} bridge moves into the overlay namespace` +
        (moved.length ? `; re-plugging ${moved.join(', ')}` : ''),
    );
  }
  await d.store.update((s) => ({ ...s, version: STATE_VERSION }));
}
