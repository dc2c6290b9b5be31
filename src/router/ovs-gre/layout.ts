import ipaddr from 'ipaddr.js';
import { badInput } from '../../errors.js';
import { cidrsOverlap, intToIpv4, ipv4ToInt, nthHost } from '../../net/cidr.js';
import type { IpRoute } from '../../net/ip.js';
import type { NetnsPath } from '../../net/netns.js';
import type { ProbePlan } from '../data-plane.js';
import type { SerfMember } from '../serf/rpc.js';

/** The ovs-gre mesh on paper: names, this host's subnet, and from the membership the ports and routes it needs. Pure. */

/** The OVS bridge docker's bridge is plugged into; its internal port has the same name. */
export const OVS_BRIDGE = 'xnet-ovs';
/** Userspace datapath only: the OVS bridge that takes over the underlay address (tunnels leave through it). */
export const UNDERLAY_BRIDGE = 'ovs-underlay';
/** Outer IPv4 (20) + GRE (4) + inner Ethernet (14). */
export const GRE_OVERHEAD = 38;
/** Routes we add carry this protocol number, so they are found again after an agent restart. */
export const ROUTE_PROTO = '121';

/** `gre-c6120002` for 198.18.0.2: fits IFNAMSIZ and says which peer. */
export function grePortName(remote: string): string {
  return `gre-${ipv4ToInt(remote).toString(16).padStart(8, '0')}`;
}

/** 198.18.0.2 for `gre-c6120002`; undefined for any other name. */
export function greRemote(portName: string): string | undefined {
  const m = /^gre-([0-9a-f]{8})$/.exec(portName);
  return m ? intToIpv4(parseInt(m[1]!, 16)) : undefined;
}

export interface HostSubnet {
  /** network/prefix */
  subnet: string;
  /** The first host: docker's bridge address. */
  gateway: string;
  prefix: number;
  /** dockerd's bip: gateway/prefix. */
  bip: string;
}

export function parseSubnet(text: string | undefined): HostSubnet {
  const example = 'for example --subnet 172.25.1.0/24 on one host and 172.25.2.0/24 on the next';
  if (!text)
    throw badInput('subnet', "ovs-gre needs this host's container subnet", `give --subnet CIDR, ${example}`);
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw badInput('subnet', `"${text}" is not a CIDR`, example);
  }
  const [addr, prefix] = parsed;
  if (addr.kind() !== 'ipv4')
    throw badInput('subnet', `${text} is IPv6; the container subnet is IPv4`, example);
  if (prefix < 8 || prefix > 29)
    throw badInput(
      'subnet',
      `/${prefix} is out of range for a container subnet`,
      `use /8 to /29, ${example}`,
    );
  const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
  if (network !== addr.toString())
    throw badInput('subnet', `${text} is not a network address`, `did you mean ${network}/${prefix}?`);
  const gateway = nthHost(network, 1);
  return { subnet: `${network}/${prefix}`, gateway, prefix, bip: `${gateway}/${prefix}` };
}

/** A host route the subnet would hide or be hidden by; docker's bridge, ours and the default route do not count. */
export function routeClash(
  subnet: string,
  routes: readonly IpRoute[],
  dockerBridge: string,
): IpRoute | undefined {
  return routes.find(
    (r) =>
      r.dst !== 'default' &&
      r.dev !== dockerBridge &&
      r.dev !== OVS_BRIDGE &&
      r.protocol !== ROUTE_PROTO &&
      cidrsOverlap(r.dst.includes('/') ? r.dst : `${r.dst}/32`, subnet),
  );
}

/** Launch refuses a subnet a host route covers: the driver's routes would shadow it, or it theirs. */
export function refuseRouteClash(subnet: string, routes: readonly IpRoute[], dockerBridge: string): void {
  const clash = routeClash(subnet, routes, dockerBridge);
  if (clash)
    throw badInput(
      'subnet',
      `${subnet} overlaps the host route ${clash.dst}${clash.dev ? ` dev ${clash.dev}` : ''}`,
      'choose a subnet no route on this host covers (`ip route`)',
    );
}

export interface Member {
  name: string;
  address: string;
  nickname: string;
  subnet: string | null;
  status: 'alive' | 'leaving' | 'left' | 'failed' | 'none';
}

export function toMember(m: SerfMember): Member {
  return {
    name: m.name,
    address: m.addr,
    nickname: m.tags.nick ?? '',
    subnet: m.tags.subnet ?? null,
    status: m.status,
  };
}

export function describeMember(m: Member): string {
  return m.nickname && m.nickname !== m.address ? `${m.nickname} (${m.address})` : m.address;
}

/** The first other member whose subnet overlaps ours (left members no longer hold theirs). */
export function subnetHolder(subnet: string, self: string, members: readonly Member[]): Member | undefined {
  return members.find(
    (m) =>
      m.name !== self &&
      m.subnet !== null &&
      m.status !== 'left' &&
      m.status !== 'none' &&
      safeOverlap(m.subnet, subnet),
  );
}

/** Launch refuses a subnet another member holds. */
export function refuseHeldSubnet(subnet: string, self: string, members: readonly Member[]): void {
  const holder = subnetHolder(subnet, self, members);
  if (holder)
    throw badInput(
      'subnet',
      `${subnet} overlaps ${holder.subnet}, the container subnet of ${describeMember(holder)}`,
      'give this host a subnet no other host holds (`xnet-tui status` on a peer shows its subnet)',
    );
}

function safeOverlap(a: string, b: string): boolean {
  try {
    return cidrsOverlap(a, b);
  } catch {
    return false;
  }
}

export interface WantedPort {
  name: string;
  remote: string;
  peer: string;
}

export interface WantedRoute {
  dst: string;
  via: string;
  peer: string;
}

export interface MeshPlan {
  ports: WantedPort[];
  routes: WantedRoute[];
  /** Members left out, and why, for status warnings. */
  skipped: string[];
}

/**
 * A GRE port to every member that is alive or failed (a failed one may come back; BFD shows it down) and not
 * forgotten; a route to its subnet through its bridge address unless the subnet clashes with ours or another's.
 */
export function meshPlan(
  self: { name: string; subnet: string },
  members: readonly Member[],
  forgotten: ReadonlySet<string>,
): MeshPlan {
  const ports: WantedPort[] = [];
  const routes: WantedRoute[] = [];
  const skipped: string[] = [];
  const others = members.filter(
    (m) => m.name !== self.name && (m.status === 'alive' || m.status === 'failed' || m.status === 'leaving'),
  );
  for (const m of others) {
    if (forgotten.has(m.address)) continue;
    if (!m.subnet) {
      skipped.push(`${describeMember(m)} is in the mesh but announces no subnet (not an ovs-gre host?)`);
      continue;
    }
    ports.push({ name: grePortName(m.address), remote: m.address, peer: describeMember(m) });
    const rival = [self, ...others.filter((o) => o !== m && o.subnet)].find((o) =>
      safeOverlap(o.subnet!, m.subnet!),
    );
    if (rival) {
      skipped.push(
        `${describeMember(m)} announces ${m.subnet}, which overlaps ${rival === self ? `this host's ${self.subnet}` : `${rival.subnet} of ${describeMember(rival as Member)}`}: no route to it`,
      );
      continue;
    }
    let via: string;
    try {
      via = parseSubnet(m.subnet).gateway;
    } catch {
      skipped.push(`${describeMember(m)} announces "${m.subnet}", which is not a subnet: no route to it`);
      continue;
    }
    routes.push({ dst: m.subnet, via, peer: describeMember(m) });
  }
  return { ports, routes, skipped };
}

/**
 * Each routed member's probe address by its underlay address: its docker bridge's (the gateway of its subnet,
 * the route's via), so a probe takes the containers' path there and back.
 */
export function probeAddresses(
  members: readonly Member[],
  routes: readonly WantedRoute[],
): Map<string, string> {
  return new Map(
    members.flatMap((m) => {
      const r = routes.find((x) => x.dst === m.subnet);
      return r ? [[m.address, r.via] as const] : [];
    }),
  );
}

/**
 * The host's probe loops, from docker's bridge to each routed peer's docker bridge address: the echo takes the
 * containers' path (route via the peer's gateway, OVS, its GRE port) and the reply comes back the same way.
 */
export function probePlan(
  netns: NetnsPath,
  dockerBridge: string,
  mtu: number | undefined,
  addresses: ReadonlyMap<string, string>,
): ProbePlan | undefined {
  return mtu && addresses.size > 0
    ? { point: { netns, dev: dockerBridge }, mtu, targets: [...addresses.values()] }
    : undefined;
}
