import { z } from 'zod';
import { run } from '../../net/exec.js';
import { addrs, ipBatch, link, routes4 } from '../../net/ip.js';
import { inNetns } from '../../net/netns.js';
import type { NetnsPath } from '../../net/netns.js';
import type { Underlay } from '../underlay.js';
import type { Ovs } from './ovs.js';
import { UNDERLAY_BRIDGE } from './layout.js';

/**
 * Userspace datapath only. ovs-vswitchd sends an encapsulated packet out of the OVS bridge its tunnel route
 * names, and takes one in when it is addressed to that bridge: so the underlay address moves from the NIC to an
 * OVS bridge that has the NIC as a port (Open vSwitch's "native tunneling" layout, br-phy). The bridge takes
 * the NIC's MAC and the NIC gets another, so peers' ARP caches stay right and the kernel ignores the frames
 * it used to take on the NIC. What was there is recorded, so reset puts it back exactly.
 */

export const UnderlayRecord = z.object({
  dev: z.string(),
  mac: z.string(),
  mtu: z.number(),
  addrs: z.array(z.string()),
  routes: z.array(
    z.object({ dst: z.string(), gateway: z.string().optional(), metric: z.number().optional() }),
  ),
  /** The NIC's arp_ignore before: set to 1 so its kernel stops answering ARP for the address the bridge now holds. */
  arpIgnore: z.string().optional(),
});
export type UnderlayRecord = z.infer<typeof UnderlayRecord>;

/** Another MAC for the NIC: locally administered, never the one it had. */
export function standInMac(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] = (b[0]! | 0x02) & 0xfe;
  b[5] = b[5]! ^ 0x5a;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

async function record(netns: NetnsPath, u: Underlay): Promise<UnderlayRecord> {
  const [l, a, r] = await Promise.all([link(netns, u.dev), addrs(netns, u.dev), routes4(netns)]);
  if (!l?.address) throw new Error(`underlay ${u.dev} has no MAC address`);
  return {
    dev: u.dev,
    mac: l.address,
    mtu: u.mtu,
    addrs: (a[0]?.addr_info ?? []).filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`),
    routes: r
      .filter((x) => x.dev === u.dev && x.protocol !== 'kernel')
      .map((x) => ({
        dst: x.dst,
        ...(x.gateway ? { gateway: x.gateway } : {}),
        ...((x as { metric?: number }).metric !== undefined
          ? { metric: (x as { metric?: number }).metric! }
          : {}),
      })),
  };
}

function routeLines(rec: UnderlayRecord, dev: string): string[] {
  return rec.routes.map(
    (r) =>
      `route replace ${r.dst}${r.gateway ? ` via ${r.gateway}` : ''} dev ${dev}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`,
  );
}

/** Moves the underlay onto the OVS underlay bridge (idempotent); returns what was there before. */
export async function takeUnderlay(
  ovs: Ovs,
  netns: NetnsPath,
  u: Underlay,
  prior: UnderlayRecord | undefined,
): Promise<UnderlayRecord> {
  const rec = prior ?? { ...(await record(netns, u)), arpIgnore: await sysctl(netns, arpIgnoreKey(u.dev)) };
  await ovs.vsctl([
    '--may-exist',
    'add-br',
    UNDERLAY_BRIDGE,
    '--',
    'set',
    'Bridge',
    UNDERLAY_BRIDGE,
    'datapath_type=netdev',
    `other_config:hwaddr="${rec.mac}"`,
    'external_ids:xnet=ovs-gre',
    '--',
    'set',
    'Interface',
    UNDERLAY_BRIDGE,
    `mtu_request=${rec.mtu}`,
  ]);
  const nic = await link(netns, rec.dev);
  if (nic && nic.address === rec.mac)
    await ipBatch(netns, [`link set dev ${rec.dev} address ${standInMac(rec.mac)}`]);
  // The NIC still sees every broadcast: without this its kernel answers ARP for the moved address with the
  // NIC's stand-in MAC, and peers that believe it send their packets where OVS drops them.
  await sysctl(netns, arpIgnoreKey(rec.dev), '1');
  await ovs.vsctl(['--may-exist', 'add-port', UNDERLAY_BRIDGE, rec.dev]);
  const onBridge = new Set(
    ((await addrs(netns, UNDERLAY_BRIDGE))[0]?.addr_info ?? []).map((x) => `${x.local}/${x.prefixlen}`),
  );
  const onNic = new Set(
    ((await addrs(netns, rec.dev))[0]?.addr_info ?? []).map((x) => `${x.local}/${x.prefixlen}`),
  );
  await ipBatch(netns, [
    ...rec.addrs.filter((a) => onNic.has(a)).map((a) => `addr del ${a} dev ${rec.dev}`),
    ...rec.addrs.filter((a) => !onBridge.has(a)).map((a) => `addr add ${a} dev ${UNDERLAY_BRIDGE}`),
    `link set dev ${UNDERLAY_BRIDGE} up`,
    ...routeLines(rec, UNDERLAY_BRIDGE),
  ]);
  return rec;
}

/** After the underlay bridge is gone: the NIC gets its MAC, addresses and routes back. */
export async function giveBackUnderlay(netns: NetnsPath, rec: UnderlayRecord): Promise<void> {
  const nic = await link(netns, rec.dev);
  if (!nic) return;
  const have = new Set(
    ((await addrs(netns, rec.dev))[0]?.addr_info ?? []).map((x) => `${x.local}/${x.prefixlen}`),
  );
  await ipBatch(netns, [
    ...(nic.address !== rec.mac ? [`link set dev ${rec.dev} address ${rec.mac}`] : []),
    ...(nic.flags.includes('PROMISC') ? [`link set dev ${rec.dev} promisc off`] : []),
    ...rec.addrs.filter((a) => !have.has(a)).map((a) => `addr add ${a} dev ${rec.dev}`),
    `link set dev ${rec.dev} up`,
    ...routeLines(rec, rec.dev),
  ]);
  if (rec.arpIgnore !== undefined) await sysctl(netns, arpIgnoreKey(rec.dev), rec.arpIgnore);
}

const arpIgnoreKey = (dev: string): string => `net.ipv4.conf.${dev.replace(/\./g, '/')}.arp_ignore`;

/** Reads a sysctl of the namespace, or writes it when given a value; returns the value read. */
async function sysctl(netns: NetnsPath, key: string, value?: string): Promise<string> {
  const [file, argv] = inNetns(
    netns,
    'sysctl',
    value === undefined ? ['-n', key] : ['-w', `${key}=${value}`],
  );
  const { stdout } = await run(file, argv);
  return value ?? stdout.trim();
}

/**
 * The userspace datapath reads the NIC through AF_PACKET, which hands on a veth's unfinished (offloaded) TCP
 * checksums as they are; the far side's kernel then drops those segments (a lab join timed out so). A
 * netdev host therefore sends with checksums done in software from before its first join until reset.
 * Returns whether tx checksumming was on, to be put back.
 */
export async function checksumOffloadOff(netns: NetnsPath, dev: string): Promise<boolean> {
  const [file, argv] = inNetns(netns, 'ethtool', ['-k', dev]);
  const { stdout } = await run(file, argv);
  const on = /^tx-checksumming: on/m.test(stdout);
  if (on) await ethtoolTx(netns, dev, 'off');
  return on;
}

export async function ethtoolTx(netns: NetnsPath, dev: string, state: 'on' | 'off'): Promise<void> {
  const [file, argv] = inNetns(netns, 'ethtool', ['-K', dev, 'tx', state]);
  await run(file, argv);
}
