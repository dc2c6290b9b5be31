import { existsSync } from 'node:fs';
import { z } from 'zod';
import { badInput } from '../../errors.js';
import { run } from '../../net/exec.js';
import { ipJson, link, type IpAddr, type IpRoute } from '../../net/ip.js';
import { inNetns, type NetnsPath } from '../../net/netns.js';
import { intToIpv4, ipv4ToInt } from '../../net/cidr.js';
import type { Lan } from './plan.js';

/**
 * The NIC as it was before it moved into the bridge: what reset and a failed check put back, exactly
 * (addresses in order with their broadcast, routes with their protocol, metric, scope and source).
 */
export const NicRecord = z.object({
  dev: z.string(),
  mac: z.string(),
  mtu: z.number(),
  addrs: z.array(z.object({ cidr: z.string(), broadcast: z.string().optional() })),
  routes: z.array(
    z.object({
      dst: z.string(),
      gateway: z.string().optional(),
      metric: z.number().optional(),
      protocol: z.string().optional(),
      scope: z.string().optional(),
      prefsrc: z.string().optional(),
      onlink: z.boolean().optional(),
    }),
  ),
});
export type NicRecord = z.infer<typeof NicRecord>;

type FullAddrInfo = IpAddr['addr_info'][number] & { broadcast?: string; dynamic?: boolean };
type FullAddr = Omit<IpAddr, 'addr_info'> & { addr_info: FullAddrInfo[] };
type FullRoute = IpRoute & { metric?: number; flags?: string[] };

/** Reads the NIC, refusing one this tool cannot move safely (DHCP, NetworkManager, another bridge's port). */
export async function readNic(netns: NetnsPath, dev: string, bridge: string): Promise<NicRecord> {
  const l = await link(netns, dev);
  if (!l)
    throw badInput('nic', `there is no interface ${dev} on this host`, 'name it with --nic (see `ip link`)');
  if (l.master && l.master !== bridge)
    throw badInput('nic', `${dev} is already a port of ${l.master}`, `choose another NIC with --nic`);
  const [a] = await ipJson<FullAddr[]>(netns, ['addr', 'show', 'dev', dev]);
  const v4 = (a?.addr_info ?? []).filter((x) => x.family === 'inet');
  const dynamic = v4.find((x) => x.dynamic);
  if (dynamic)
    throw badInput(
      'nic',
      `${dev}'s address ${dynamic.local}/${dynamic.prefixlen} comes from DHCP (dynamic): moving it into a bridge would lose the lease, and the DHCP client would fight over it; not supported yet`,
      'give the NIC a static address first, or choose another NIC with --nic',
    );
  if (await managedByNetworkManager(netns, dev))
    throw badInput(
      'nic',
      `${dev} is managed by NetworkManager, which would undo the move; not supported yet`,
      `make it unmanaged first (nmcli device set ${dev} managed no), or choose another NIC with --nic`,
    );
  if (v4.length === 0)
    throw badInput(
      'nic',
      `${dev} has no IPv4 address: there is no LAN to put containers on`,
      'name the LAN NIC with --nic',
    );
  const routes = (await ipJson<FullRoute[]>(netns, ['-4', 'route', 'show', 'table', 'main', 'dev', dev]))
    .filter((r) => r.protocol !== 'kernel')
    .map((r) => ({
      dst: r.dst,
      ...(r.gateway ? { gateway: r.gateway } : {}),
      ...(r.metric !== undefined ? { metric: r.metric } : {}),
      ...(r.protocol ? { protocol: r.protocol } : {}),
      ...(r.scope ? { scope: r.scope } : {}),
      ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}),
      ...(r.flags?.includes('onlink') ? { onlink: true } : {}),
    }));
  return {
    dev,
    mac: l.address ?? '',
    mtu: l.mtu,
    addrs: v4.map((x) => ({
      cidr: `${x.local}/${x.prefixlen}`,
      ...(x.broadcast ? { broadcast: x.broadcast } : {}),
    })),
    routes,
  };
}

/** NetworkManager only runs in the host's own namespace; a lab host's NIC is never its. */
async function managedByNetworkManager(netns: NetnsPath, dev: string): Promise<boolean> {
  if (netns || !existsSync('/run/NetworkManager')) return false;
  const out = await run('nmcli', ['-t', '-f', 'DEVICE,STATE', 'device']).catch(() => ({ stdout: '' }));
  return out.stdout
    .split('\n')
    .some((l) => l.split(':')[0] === dev && !/unmanaged/.test(l.split(':')[1] ?? ''));
}

/** The LAN the NIC's first IPv4 address sits on. */
export function lanOf(rec: NicRecord): Lan {
  const [address, p] = rec.addrs[0]!.cidr.split('/');
  const prefix = Number(p);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return { cidr: `${intToIpv4((ipv4ToInt(address!) & mask) >>> 0)}/${prefix}`, address: address! };
}

export function defaultGateway(rec: NicRecord): string | undefined {
  return rec.routes.find((r) => r.dst === 'default' && r.gateway)?.gateway;
}

function routeLine(r: NicRecord['routes'][number], dev: string): string {
  return [
    `route replace ${r.dst}`,
    r.gateway ? `via ${r.gateway}` : '',
    `dev ${dev}`,
    r.onlink ? 'onlink' : '',
    r.metric !== undefined ? `metric ${r.metric}` : '',
    `proto ${r.protocol ?? 'boot'}`,
    r.scope && r.scope !== 'global' ? `scope ${r.scope}` : '',
    r.prefsrc ? `src ${r.prefsrc}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function addrLine(verb: 'add' | 'del', a: NicRecord['addrs'][number], dev: string): string {
  return `addr ${verb} ${a.cidr}${verb === 'add' && a.broadcast ? ` broadcast ${a.broadcast}` : ''} dev ${dev}`;
}

/**
 * The move, as one `ip -batch`: the bridge takes the NIC's MAC (neighbours' ARP caches stay right), the NIC
 * becomes its port, the addresses and routes go from the NIC to the bridge. Pure.
 */
export function moveLines(rec: NicRecord, bridge: string, bridgeExists: boolean): string[] {
  return [
    ...(bridgeExists ? [] : [`link add ${bridge} type bridge`]),
    `link set dev ${bridge} address ${rec.mac}`,
    `link set dev ${bridge} mtu ${rec.mtu}`,
    `link set dev ${rec.dev} master ${bridge}`,
    ...rec.addrs.map((a) => addrLine('del', a, rec.dev)),
    ...rec.addrs.map((a) => addrLine('add', a, bridge)),
    `link set dev ${bridge} up`,
    ...rec.routes.map((r) => routeLine(r, bridge)),
  ];
}

/** The way back, from whatever state a move left (run with -force: a line that finds nothing moves on). Pure. */
export function revertLines(rec: NicRecord, bridge: string): string[] {
  return [
    `link set dev ${rec.dev} nomaster`,
    `link del ${bridge}`,
    ...rec.addrs.map((a) => addrLine('add', a, rec.dev)),
    `link set dev ${rec.dev} up`,
    ...rec.routes.map((r) => routeLine(r, rec.dev)),
  ];
}

export async function moveIntoBridge(netns: NetnsPath, rec: NicRecord, bridge: string): Promise<void> {
  const exists = (await link(netns, bridge)) !== undefined;
  const [file, argv] = inNetns(netns, 'ip', ['-batch', '-']);
  await run(file, argv, { input: moveLines(rec, bridge, exists).join('\n') + '\n' });
}

/** Puts the NIC back as recorded and removes the bridge; never throws on what is already gone. */
export async function putNicBack(netns: NetnsPath, rec: NicRecord, bridge: string): Promise<void> {
  const [file, argv] = inNetns(netns, 'ip', ['-force', '-batch', '-']);
  await run(file, argv, { input: revertLines(rec, bridge).join('\n') + '\n' }).catch(() => undefined);
}

/** Whether the NIC is a port of the bridge now (a relaunch finds it moved already). */
export async function nicInBridge(netns: NetnsPath, dev: string, bridge: string): Promise<boolean> {
  return (await link(netns, dev))?.master === bridge;
}

/**
 * The automatic check: every target must answer an echo at least once before the deadline (fping, one try
 * per round). Returns those that never did.
 */
export async function unreachable(netns: NetnsPath, targets: string[], timeoutMs: number): Promise<string[]> {
  const waiting = new Set(targets);
  const deadline = Date.now() + timeoutMs;
  while (waiting.size > 0 && Date.now() < deadline) {
    for (const t of [...waiting]) if (await answers(netns, t)) waiting.delete(t);
    if (waiting.size > 0) await new Promise((r) => setTimeout(r, 300));
  }
  return [...waiting];
}

/** One echo, half a second: fping exits 0 when the target answered. */
export async function answers(netns: NetnsPath, target: string): Promise<boolean> {
  const [file, argv] = inNetns(netns, 'fping', ['-4', '-q', '-r', '0', '-t', '500', target]);
  return run(file, argv, { timeoutMs: 5_000 }).then(
    () => true,
    () => false,
  );
}

/** Addresses the host has seen on the LAN (the neighbour table), other than failed entries. */
export async function neighbours(netns: NetnsPath): Promise<string[]> {
  const n = await ipJson<{ dst: string; state?: string[] }[]>(netns, ['-4', 'neigh', 'show']);
  return n.filter((x) => !x.state?.includes('FAILED') && !x.state?.includes('INCOMPLETE')).map((x) => x.dst);
}
