import { ipBatch, link, type IpLink } from './ip.js';
import type { NetnsPath } from './netns.js';
import { allowBridgeForwarding, removeBridgeForwarding } from './firewall.js';
import { quietBridge } from './sysctl.js';

/** Creates the host bridge containers plug into, if it is not there yet; returns it. */
export async function ensureBridge(netns: NetnsPath, name: string, mtu?: number): Promise<IpLink> {
  let found = await link(netns, name);
  if (!found) {
    await ipBatch(netns, [`link add ${name}${mtu ? ` mtu ${mtu}` : ''} type bridge`]);
    // Before it goes up, or its first solicitations are already out.
    await quietBridge(netns, name);
    await ipBatch(netns, [`link set ${name} up`]);
    await allowBridgeForwarding(netns, name);
    found = await link(netns, name);
  } else if (mtu && found.mtu !== mtu) {
    await ipBatch(netns, [`link set ${name} mtu ${mtu}`]);
    found = { ...found, mtu };
  }
  if (!found) throw new Error(`bridge ${name} vanished right after it was created`);
  return found;
}

export async function removeBridge(netns: NetnsPath, name: string): Promise<void> {
  if (await link(netns, name)) await ipBatch(netns, [`link del ${name}`]);
  await removeBridgeForwarding(netns, name);
}
