import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureBridge } from './bridge.js';
import { run } from './exec.js';
import { ipBatch, link, links, type IpLink } from './ip.js';
import { inNetns, type NetnsPath } from './netns.js';
import { enableLinkLocal, quietBridge } from './sysctl.js';
import { closeSessions } from './batch-session.js';
import { KeyedQueue } from '../passes.js';

/**
 * The overlay's own network namespace (as Docker's overlay driver keeps one per network): it holds the bridge,
 * the VXLAN device and the host-side ends of the containers' veths, with br_netfilter off. dockerd turns
 * br_netfilter on in the host's namespace and the kernel has no per-bridge way out of it (a bridge's
 * nf_call_iptables only adds to the namespace's sysctl), so a bridge there pays iptables and conntrack per frame.
 * The namespace is pinned in /run/netns, so it outlives the agent; one veth pair joins it to the host.
 */

/** The host's end of the pair that joins the host to the overlay (its IPv6 link-local reaches the overlay). */
export const HOST_LINK = 'xnet-host';
/** The pair's other end, a port of the bridge. */
export const HOST_PORT = 'xnet-hostport';

const BR_NETFILTER = ['iptables', 'ip6tables', 'arptables'].map((t) => `net.bridge.bridge-nf-call-${t}`);

/**
 * `xnetov-` and a hash of the agent's state directory: /run/netns names are global and a machine may run
 * several agents (the lab does). Not `xnet-…`: that is the default lab's prefix, and its `lab down` removes
 * every `xnet-*` namespace, which must not take another agent's overlay.
 */
export function overlayNetnsName(stateDir: string): string {
  return `xnetov-${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 12)}`;
}

/** The path commands enter a named namespace by (`nsenter --net=`). */
export const namedNetns = (name: string): string => `/run/netns/${name}`;

/**
 * Where a driver's bridge and the containers' host-side veths are: the named namespace its attach point gives
 * (`AttachPoint.netns`, which status repeats as `bridge.netns`), else the host's. Attach, counting and capture
 * all ask here.
 */
export function bridgeNetns(netns: string | null | undefined, host: NetnsPath): NetnsPath {
  return netns ? namedNetns(netns) : host;
}

/** A named namespace, made (loopback up) if it is not there; true when it was made now. */
export async function ensureNamedNetns(name: string): Promise<boolean> {
  if (existsSync(namedNetns(name))) return false;
  try {
    await run('ip', ['netns', 'add', name]);
  } catch (err) {
    if (existsSync(namedNetns(name))) return false; // made by a racing call
    throw err;
  }
  await ipBatch(namedNetns(name), ['link set lo up']);
  return true;
}

/**
 * Removes the namespace and every device in it (a veth's peer elsewhere goes too); idempotent. The devices are
 * deleted first, one by one: the kernel tears a namespace down later, in a worker, so a container's `ethwe` would
 * still be there for the reconcile that follows and vanish after it.
 */
export async function removeNamedNetns(name: string): Promise<void> {
  const path = namedNetns(name);
  closeSessions(path); // its batch sessions (link readers, the address table's writers) must not keep it alive
  if (!existsSync(path)) return;
  const devices = await links(path).catch(() => []);
  for (const d of devices.filter((l) => l.ifname !== 'lo'))
    await ipBatch(path, [`link del ${d.ifname}`]).catch(() => undefined); // a veth's peer may have gone with it
  await run('ip', ['netns', 'del', name]);
}

/** br_netfilter off in the namespace (-e: the keys exist only once the module is loaded; set again each time). */
async function bridgeNetfilterOff(path: string): Promise<void> {
  const [file, args] = inNetns(path, 'sysctl', ['-q', '-e', '-w', ...BR_NETFILTER.map((k) => `${k}=0`)]);
  await run(file, args);
}

/** The br_netfilter switches as the namespace has them (key -> value), for status and tests. */
export async function bridgeNetfilter(path: string): Promise<Record<string, string>> {
  const [file, args] = inNetns(path, 'sysctl', ['-e', ...BR_NETFILTER]);
  const { stdout } = await run(file, args);
  return Object.fromEntries(
    stdout
      .split('\n')
      .map((l) => l.split('=').map((x) => x.trim()))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [k!, v!]),
  );
}

export interface OverlayLayout {
  name: string;
  /** The namespace the host's end of the pair stays in (the agent's, undefined). */
  hostNetns: NetnsPath;
  bridge: string;
  /** The bridge's MTU; the host pair follows it. Undefined: keep what is there (1500 when new). */
  mtu?: number;
}

/** One change to a namespace's layout at a time: the relaunch and the reconcile at agent start race otherwise. */
const layouts = new KeyedQueue<string>();

/**
 * Namespace, br_netfilter off, the bridge, and the veth pair from the host onto it: made where missing,
 * MTU followed; idempotent (attach before a launch and the launch both call it). Returns the bridge.
 */
export function ensureOverlay(o: OverlayLayout): Promise<IpLink> {
  return layouts.run(o.name, () => layOut(o));
}

async function layOut(o: OverlayLayout): Promise<IpLink> {
  const path = namedNetns(o.name);
  await ensureNamedNetns(o.name);
  await bridgeNetfilterOff(path);
  const bridge = await ensureBridge(path, o.bridge, o.mtu);
  const mtu = bridge.mtu;
  const host = await link(o.hostNetns, HOST_LINK);
  if (!host) {
    // A port left from a pair whose host end went (an operator's `ip link del`) is made anew with it.
    if (await link(path, HOST_PORT)) await ipBatch(path, [`link del ${HOST_PORT}`]);
    await ipBatch(o.hostNetns, [
      `link add ${HOST_LINK} mtu ${mtu} type veth peer name ${HOST_PORT} mtu ${mtu} netns ${o.name}`,
    ]);
    // Quiet before it is up, as the bridge is: its link-local would solicit routers into the overlay for ever.
    await quietBridge(o.hostNetns, HOST_LINK);
    await ipBatch(o.hostNetns, [`link set ${HOST_LINK} up`]);
    await ipBatch(path, [
      `link set dev ${HOST_PORT} addrgenmode none`,
      `link set ${HOST_PORT} master ${o.bridge}`,
      `link set ${HOST_PORT} up`,
    ]);
    await enableLinkLocal(o.hostNetns, HOST_LINK).catch(() => undefined);
  } else if (host.mtu !== mtu) {
    await ipBatch(o.hostNetns, [`link set ${HOST_LINK} mtu ${mtu}`]);
    await ipBatch(path, [`link set ${HOST_PORT} mtu ${mtu}`]);
  }
  return bridge;
}
