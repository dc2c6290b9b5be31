// The lab's cabling: the LAN namespace and its bridge, the gateway, and each host's namespace with eth0 on the
// underlay. Kept apart from lab.ts (which starts and stops hosts' daemons) because it is the only part that
// touches links and addresses, and `lab up` on a lab already up must find nothing to do here.
import { spawnSync } from 'node:child_process';
import { run } from '../net/exec.js';
import { ipBatch, link, addrs, routes4 } from '../net/ip.js';
import {
  GATEWAY,
  GATEWAY_NETNS,
  LAN_BRIDGE,
  LAN_NETNS,
  NETNS_PREFIX,
  UNDERLAY_PREFIX,
  type LabHost,
} from './layout.js';

export function netnsList(): string[] {
  const out = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out.stdout
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

async function ensureNetns(name: string): Promise<void> {
  if (!netnsList().includes(name)) await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** The LAN: one namespace holding a bridge, so no lab traffic touches the root namespace or eth0. */
export async function ensureLan(): Promise<void> {
  await ensureNetns(LAN_NETNS);
  const lan = `/run/netns/${LAN_NETNS}`;
  if (!(await link(lan, LAN_BRIDGE))) {
    await ipBatch(lan, [`link add ${LAN_BRIDGE} type bridge`, `link set ${LAN_BRIDGE} up`]);
  }
}

/** A veth from the LAN bridge (its end there named `lanEnd`) to `eth0` in the namespace `netns`. */
async function cable(lanEnd: string, netns: string): Promise<void> {
  await run('ip', [
    '-n',
    LAN_NETNS,
    'link',
    'add',
    lanEnd,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    netns,
  ]);
  await ipBatch(`/run/netns/${LAN_NETNS}`, [
    `link set ${lanEnd} master ${LAN_BRIDGE}`,
    `link set ${lanEnd} up`,
  ]);
}

/** The LAN's gateway: a namespace at GATEWAY that answers and routes nowhere (nothing leaves the lab). */
export async function ensureGateway(): Promise<void> {
  await ensureNetns(GATEWAY_NETNS);
  const gw = `/run/netns/${GATEWAY_NETNS}`;
  if (!(await link(gw, 'eth0'))) {
    await cable('gw', GATEWAY_NETNS);
    await ipBatch(gw, [`addr add ${GATEWAY}/${UNDERLAY_PREFIX} dev eth0`, 'link set eth0 up']);
  }
}

/**
 * A host namespace cabled to the LAN: `eth0` at 198.18.0.N/24, its peer `hN` in the LAN bridge. True when it
 * cabled the host now (its underlay neighbours must be pinned again).
 */
export async function ensureHostNetwork(h: LabHost): Promise<boolean> {
  await ensureNetns(h.netns);
  const eth0 = await link(h.netnsPath, 'eth0');
  if (!eth0) await cable(h.name, h.netns);
  // Anywhere in the host: the ovs-gre driver moves the underlay address from eth0 onto an OVS bridge.
  const current = await addrs(h.netnsPath);
  const has = current.some((l) => l.addr_info.some((a) => a.local === h.address));
  // A default route only where there is none: the bridge driver moves it onto its bridge.
  const hasDefault = (await routes4(h.netnsPath)).some((r) => r.dst === 'default');
  // A host already up (a `lab up` to bring back one host of 50) costs no batch: on a loaded machine each
  // process a host costs is seconds at 50.
  if (has && hasDefault && eth0?.flags.includes('UP')) return false;
  await ipBatch(h.netnsPath, [
    ...(has ? [] : [`addr add ${h.address}/${UNDERLAY_PREFIX} dev eth0`]),
    'link set eth0 up',
    ...(hasDefault ? [] : [`route add default via ${GATEWAY} dev eth0`]),
  ]);
  return !eth0;
}
