import { addrs, ipBatch, ipJson, link } from '../../net/ip.js';
import { toCounters } from '../../net/counters.js';
import { ruleCounters } from '../../net/vxlan-filter.js';
import type { Admission } from '../../net/vxlan-admit.js';
import type { TunnelCounters } from '../driver.js';
import type { NetnsPath } from '../../net/netns.js';
import { poll } from '../../poll.js';
import type { Underlay } from '../underlay.js';
import { VXLAN_DEV, VXLAN_PORT } from './description.js';
import { macOfLinkLocal } from './forwarding.js';

/**
 * The vxlan driver's kernel devices, made once at launch: the VXLAN device beside the bridge in the overlay
 * namespace, and the bridge's own address and MAC that peers probe. What changes at run time (FDB and
 * neighbour entries) is addresses.ts's; the driver's life (launch, stop, status) is driver.ts's.
 */

/** "xn" in ASCII: any VNI works as long as the whole mesh agrees. */
export const VNI = 0x786e;
export { VXLAN_OVERHEAD } from './description.js';

export interface DevicePlace {
  /** The host's namespace (the underlay, serf, the UDP socket). */
  hostNetns: NetnsPath;
  /** The overlay namespace's name, and its path (bridge, VXLAN device, host-side veths). */
  overlayNetns: string;
  ns: NetnsPath;
  bridge: string;
}

/** Who hears that the device is deleted (DriverDeps.tunnelGoing), and where its failure goes. */
export interface Recreate {
  going: (() => Promise<void>) | undefined;
  log: (msg: string) => void;
}
const NO_RECREATE: Recreate = { going: undefined, log: () => undefined };

/**
 * Made in the host's namespace, so its UDP socket stays on the underlay (behind the XNET-VXLAN chain), then
 * moved beside the bridge, as moby's overlay driver does; one left in the host's namespace is made anew.
 * `proxy`: the device answers ARP and ND from its neighbour table and never floods them across the underlay;
 * `l3miss`: what it cannot answer is reported (the agent answers from the address table); `nolearning`: a
 * MAC's VTEP comes from the table (its holder's gossip address), never from a packet's source.
 */
export async function ensureVxlan(
  p: DevicePlace,
  u: Underlay,
  mtu: number,
  re: Recreate = NO_RECREATE,
): Promise<void> {
  const dev = VXLAN_DEV;
  const existing = await link(p.ns, dev, true);
  const data = existing?.linkinfo?.info_data as
    { local?: string; id?: number; proxy?: boolean; l3miss?: boolean; learning?: boolean } | undefined;
  const same =
    data?.local === u.address && data.id === VNI && data.proxy && data.l3miss && data.learning === false;
  if (existing && same && existing.mtu === mtu) {
    if (existing.master !== p.bridge)
      await ipBatch(p.ns, [`link set ${dev} master ${p.bridge}`, `link set ${dev} up`]);
    return;
  }
  if (existing) await deleteVxlan(p, re);
  if (await link(p.hostNetns, dev)) await ipBatch(p.hostNetns, [`link del ${dev}`]);
  await ipBatch(p.hostNetns, [
    `link add ${dev} mtu ${mtu} type vxlan id ${VNI} dstport ${VXLAN_PORT} local ${u.address} dev ${u.dev} proxy nolearning l3miss`,
    `link set ${dev} netns ${p.overlayNetns}`,
  ]);
  await ipBatch(p.ns, [`link set ${dev} master ${p.bridge}`, `link set ${dev} up`]);
}

/** The bridge's IPv6 link-local address once DAD is done (the probe address), or undefined (probes off). */
export async function bridgeLinkLocal(
  p: DevicePlace,
  log: (msg: string) => void,
): Promise<string | undefined> {
  const local = await poll(
    async () => {
      const [br] = await addrs(p.ns, p.bridge);
      const ll = br?.addr_info.find((a) => a.family === 'inet6' && a.local.startsWith('fe80:'));
      return ll && !(ll as { tentative?: boolean }).tentative ? ll.local : undefined;
    },
    { everyMs: 100, withinMs: 4_000 },
  );
  if (local) return local;
  log(`bridge ${p.bridge} has no IPv6 link-local address: data-plane probes are off`);
  return undefined;
}

/**
 * A bridge takes the lowest MAC of its ports unless given one, so it changed as containers came and went, and
 * peers answering ND for its probe address (proxy, from the table) would answer with a stale MAC. Pinned to
 * the MAC its EUI-64 link-local address was made from, so a peer knows it from the address alone.
 */
export async function pinBridgeMac(
  p: DevicePlace,
  linkLocal: string | undefined,
): Promise<string | undefined> {
  const mac = linkLocal ? macOfLinkLocal(linkLocal) : undefined;
  if (mac) await ipBatch(p.ns, [`link set ${p.bridge} address ${mac}`]);
  return mac ?? (await link(p.ns, p.bridge))?.address;
}

/**
 * Deletes the device in the overlay namespace. The fast path redirects frames to its ifindex: it is told first,
 * not a counters tick after (for a re-create and for a stop alike). Its failure never stops the delete.
 */
async function deleteVxlan(p: DevicePlace, re: Recreate): Promise<void> {
  await Promise.resolve()
    .then(re.going)
    .catch((err: Error) => re.log(`${VXLAN_DEV}: telling the fast path it goes: ${err.message}`));
  await ipBatch(p.ns, [`link del ${VXLAN_DEV}`]);
}

/** The tunnel goes (router stopped): from the overlay namespace, and any copy left in the host's. */
export async function removeVxlan(p: DevicePlace, re: Recreate = NO_RECREATE): Promise<void> {
  if (await link(p.ns, VXLAN_DEV).catch(() => undefined)) await deleteVxlan(p, re);
  if (await link(p.hostNetns, VXLAN_DEV)) await ipBatch(p.hostNetns, [`link del ${VXLAN_DEV}`]);
}

/**
 * What the kernel counted on VXLAN's way in: the device's received packets, and the firewall rules before it
 * (ours and any other that drops UDP 4789). The UDP socket and the firewall stay in the host namespace.
 */
export async function tunnelCounters(
  p: DevicePlace,
  u: Underlay,
  admission: Promise<Admission | undefined>,
): Promise<TunnelCounters | undefined> {
  const [dev, rules, a] = await Promise.all([
    ipJson<Parameters<typeof toCounters>[0][]>(p.ns, ['-s', 'link', 'show', 'dev', VXLAN_DEV]),
    ruleCounters(p.hostNetns, VXLAN_PORT),
    admission,
  ]);
  const vx = dev[0] && toCounters(dev[0]);
  if (!vx) return undefined;
  const admitted = a?.admitted ? { admitted: a.admitted } : {};
  return {
    underlayDev: u.dev,
    port: VXLAN_PORT,
    device: VXLAN_DEV,
    deviceRx: vx.rxPackets,
    rules,
    ...admitted,
  };
}
