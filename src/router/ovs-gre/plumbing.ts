// The switch's plumbing: the OVS bridge plugged into docker's bridge, a GRE port per peer and a route per peer
// subnet, each brought in step with a plan. Split from driver.ts: this is what touches OVS and the routing
// table; the driver decides when.
import { ipBatch, link } from '../../net/ip.js';
import type { NetnsPath } from '../../net/netns.js';
import { existingSwitch, privatePid, removePrivateSwitch, type OvsSwitch } from './daemons.js';
import { OVS_BRIDGE, ROUTE_PROTO, UNDERLAY_BRIDGE, type MeshPlan } from './layout.js';
import type { Ovs } from './ovs.js';
import { ourRoutes } from './status.js';

export async function ensureBridge(
  netns: NetnsPath,
  sw: OvsSwitch,
  dockerBridge: string,
  mtu: number,
): Promise<void> {
  await sw.ovs.vsctl([
    '--may-exist',
    'add-br',
    OVS_BRIDGE,
    '--',
    'set',
    'Bridge',
    OVS_BRIDGE,
    `datapath_type=${sw.datapath}`,
    'external_ids:xnet=ovs-gre',
    '--',
    'set',
    'Interface',
    OVS_BRIDGE,
    `mtu_request=${mtu}`,
  ]);
  await ipBatch(netns, [
    `link set dev ${OVS_BRIDGE} master ${dockerBridge}`,
    `link set dev ${OVS_BRIDGE} up`,
    `link set dev ${dockerBridge} up`,
  ]);
}

/** The switch's bridges and its private daemons, and the taps a killed vswitchd left: launch's steps 3-4 undone. */
export async function removeBridges(netns: NetnsPath, stateDir: string): Promise<void> {
  const ovs = await existingSwitch(stateDir);
  const privateDaemons = privatePid(stateDir, 'ovsdb-server') !== undefined;
  if (ovs) {
    const wait = privatePid(stateDir, 'ovs-vswitchd') !== undefined || !privateDaemons ? [] : ['--no-wait'];
    for (const br of [OVS_BRIDGE, UNDERLAY_BRIDGE]) await ovs.vsctl([...wait, '--if-exists', 'del-br', br]);
  }
  await removePrivateSwitch(stateDir);
  // Userspace-datapath taps outlive a vswitchd that was killed: remove what is left of ours.
  const leftovers = [OVS_BRIDGE, UNDERLAY_BRIDGE, ...(privateDaemons || !ovs ? ['ovs-netdev'] : [])];
  for (const dev of leftovers) if (await link(netns, dev)) await ipBatch(netns, [`link del ${dev}`]);
}

export async function syncPorts(
  ovs: Ovs,
  wanted: MeshPlan['ports'],
  log: (msg: string) => void,
): Promise<void> {
  const have = (await ovs.ports(OVS_BRIDGE)).filter((p) => p.startsWith('gre-'));
  let changed = false;
  for (const p of wanted) {
    if (have.includes(p.name)) continue;
    changed = true;
    await ovs.vsctl([
      'add-port',
      OVS_BRIDGE,
      p.name,
      '--',
      'set',
      'Port',
      p.name,
      // Split horizon: a full mesh of tunnels must not forward from one tunnel into another (a loop).
      'protected=true',
      '--',
      'set',
      'Interface',
      p.name,
      'type=gre',
      `options:remote_ip=${p.remote}`,
      'bfd:enable=true',
      `external_ids:xnet-peer=${p.remote}`,
    ]);
    log(`ovs-gre: port ${p.name} to ${p.peer}`);
  }
  for (const name of have.filter((n) => !wanted.some((p) => p.name === n))) {
    changed = true;
    await ovs.vsctl(['--if-exists', 'del-port', OVS_BRIDGE, name]);
    log(`ovs-gre: port ${name} removed`);
  }
  // A megaflow cached while a tunnel was missing (GRE from that peer -> LOCAL) outlives the new port until the
  // revalidator gets to it, which under load took over 20 s: BFD stayed down. Flush, and the next packet asks.
  if (changed)
    await ovs
      .appctl(['dpctl/del-flows'])
      .catch((err: Error) => log(`ovs-gre: flushing datapath flows: ${err.message}`));
}

export async function syncRoutes(
  netns: NetnsPath,
  dockerBridge: string,
  wanted: MeshPlan['routes'],
): Promise<void> {
  const have = await ourRoutes(netns);
  const lines: string[] = [];
  for (const r of wanted) {
    const now = have.find((h) => h.dst === r.dst);
    if (now?.gateway === r.via && now.dev === dockerBridge) continue;
    lines.push(`route replace ${r.dst} via ${r.via} dev ${dockerBridge} onlink proto ${ROUTE_PROTO}`);
  }
  for (const h of have.filter((x) => !wanted.some((r) => r.dst === x.dst)))
    lines.push(`route del ${h.dst} proto ${ROUTE_PROTO}`);
  await ipBatch(netns, lines);
}
