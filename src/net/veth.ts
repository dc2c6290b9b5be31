import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { ipBatch, ipJson, type IpAddr } from './ip.js';
import { inNetns, netnsOfPid, type NetnsPath } from './netns.js';

/** The host end of a container's veth, named from the container ID so it is stable across restarts. */
export function hostVethName(containerId: string): string {
  return `vx${containerId.slice(0, 12)}`;
}

/**
 * A locally administered MAC derived from the container ID: the same after every restart, so peers'
 * ARP caches stay right, and known without asking the kernel.
 */
export function containerMac(containerId: string): string {
  const hex = createHash('sha256').update(containerId).digest('hex').slice(0, 10);
  return ['0e', ...(hex.match(/../g) ?? [])].join(':');
}

export interface Plug {
  /** Namespace holding the bridge and the host end (the overlay namespace, or undefined: ours). */
  hostNetns: NetnsPath;
  bridge: string;
  mtu: number;
  pid: number;
  hostIfname: string;
  ifname: string;
  mac: string;
}

/** The container's interface as the kernel has it now, or undefined if there is none. */
export async function containerInterface(pid: number, ifname: string): Promise<IpAddr | undefined> {
  const all = await ipJson<IpAddr[]>(netnsOfPid(pid), ['addr', 'show']);
  return all.find((l) => l.ifname === ifname);
}

/**
 * A veth pair: host end in the bridge with hairpin on, container end created directly in the container. The
 * host end, a bridge port, gets no IPv6 link-local address: with one it sent the container router
 * solicitations for ever (with back-off), which the screen showed as traffic on an idle host. `batch` runs
 * the lines in the host end's namespace (a one-off `ip -batch` there unless given, e.g. an IpShell's run).
 */
export async function plug(
  p: Plug,
  batch: (lines: string[]) => Promise<void> = (lines) => ipBatch(p.hostNetns, lines),
): Promise<void> {
  await batch([
    `link add ${p.hostIfname} mtu ${p.mtu} type veth peer name ${p.ifname} address ${p.mac} mtu ${p.mtu} netns ${p.pid}`,
    `link set dev ${p.hostIfname} addrgenmode none`,
    `link set ${p.hostIfname} master ${p.bridge}`,
    `link set dev ${p.hostIfname} type bridge_slave hairpin on`,
    `link set ${p.hostIfname} up`,
  ]);
}

/** Removing the container end removes the pair, wherever the host end is. */
export async function unplug(pid: number, ifname: string): Promise<void> {
  await ipBatch(netnsOfPid(pid), [`link del ${ifname}`]);
}

/** `batch` runs the lines in the container's namespace (a one-off `ip -batch` there unless given). */
export async function addAddresses(
  pid: number,
  ifname: string,
  cidrs: readonly string[],
  batch: (lines: string[]) => Promise<void> = (lines) => ipBatch(netnsOfPid(pid), lines),
): Promise<void> {
  await batch([...cidrs.map((c) => `addr add ${c} dev ${ifname}`), `link set ${ifname} up`]);
}

export async function removeAddresses(pid: number, ifname: string, cidrs: readonly string[]): Promise<void> {
  await ipBatch(
    netnsOfPid(pid),
    cidrs.map((c) => `addr del ${c} dev ${ifname}`),
  );
}

/**
 * Tells the neighbours the address moved here (a gratuitous ARP), as weave attach does. Not awaited:
 * busybox arping waits out its reply window, and nothing depends on it finishing.
 */
export function announce(pid: number, ifname: string, address: string, log: (msg: string) => void): void {
  const [file, args] = inNetns(netnsOfPid(pid), 'busybox', [
    'arping',
    '-U',
    '-c',
    '1',
    '-w',
    '1',
    '-I',
    ifname,
    address,
  ]);
  const child = spawn(file, args, { stdio: 'ignore' });
  child.on('error', (err) => log(`gratuitous ARP for ${address} not sent: ${err.message}`));
  child.unref();
}
