import ipaddr from 'ipaddr.js';
import { badInput } from '../../errors.js';
import { cidrsOverlap, intToIpv4, ipv4ToInt } from '../../net/cidr.js';

/** The bridge mesh on paper: the LAN, this host's docker slice of it, the members' slices. Pure. */

/** The bridge the NIC moves into unless --bridge names another (the seed's name). */
export const DEFAULT_BRIDGE = 'br0';
/** Slices proposed when none is chosen: 16 addresses each. */
export const PROPOSED_PREFIX = 28;

export interface Lan {
  /** network/prefix of the NIC's address */
  cidr: string;
  /** this host's address on it */
  address: string;
}

export interface SliceHolder {
  /** who, in words: nickname (address) */
  host: string;
  slice: string;
}

const EXAMPLE = 'for example --slice 198.18.0.16/28 on one host and 198.18.0.32/28 on the next';

/** The CIDR as network/prefix, checked to be a network inside the LAN and leaving room for the LAN's own hosts. */
export function parseSlice(text: string, lan: Lan): string {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw badInput('slice', `"${text}" is not a CIDR`, EXAMPLE);
  }
  const [addr, prefix] = parsed;
  if (addr.kind() !== 'ipv4') throw badInput('slice', `${text} is IPv6; the slice is IPv4`, EXAMPLE);
  const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
  if (network !== addr.toString())
    throw badInput('slice', `${text} is not a network address`, `did you mean ${network}/${prefix}?`);
  const lanPrefix = Number(lan.cidr.split('/')[1]);
  if (!contains(lan.cidr, `${network}/${prefix}`) || prefix <= lanPrefix)
    throw badInput(
      'slice',
      `${text} is not a part of the LAN ${lan.cidr}: containers on the bridge live in the LAN's own subnet`,
      `choose a smaller block inside ${lan.cidr}, ${EXAMPLE}`,
    );
  if (prefix > 30) throw badInput('slice', `/${prefix} leaves no room for containers`, `use /30 or larger`);
  return `${network}/${prefix}`;
}

export function contains(outer: string, inner: string): boolean {
  const [o, op] = outer.split('/');
  const [i, ip] = inner.split('/');
  const opn = Number(op);
  if (Number(ip ?? 32) < opn) return false;
  const mask = opn === 0 ? 0 : (~0 << (32 - opn)) >>> 0;
  return (ipv4ToInt(o!) & mask) >>> 0 === (ipv4ToInt(i!) & mask) >>> 0;
}

function inside(cidr: string, address: string): boolean {
  try {
    return contains(cidr, `${address}/32`);
  } catch {
    return false;
  }
}

function overlaps(a: string, b: string): boolean {
  try {
    return cidrsOverlap(a, b);
  } catch {
    return false;
  }
}

/** The first other host whose slice overlaps this one. */
export function sliceHolder(slice: string, others: readonly SliceHolder[]): SliceHolder | undefined {
  return others.find((o) => overlaps(o.slice, slice));
}

/**
 * LAN hosts (gateway, members, neighbours, this host) that sit inside the slice: docker would hand their
 * addresses to containers. The LAN's network and broadcast addresses count too.
 */
export function lanHostsIn(slice: string, lan: Lan, hosts: readonly string[]): string[] {
  const [net, p] = lan.cidr.split('/');
  const size = 2 ** (32 - Number(p));
  const edges = [net!, intToIpv4(ipv4ToInt(net!) + size - 1)];
  return [...new Set([...hosts, ...edges])].filter((h) => inside(slice, h));
}

/** Refuses a slice another host holds, or that holds a LAN host (bad input, naming them). */
export function checkSlice(
  slice: string,
  lan: Lan,
  others: readonly SliceHolder[],
  hosts: readonly string[],
): void {
  const holder = sliceHolder(slice, others);
  if (holder)
    throw badInput(
      'slice',
      `${slice} overlaps ${holder.slice}, the docker slice of ${holder.host}`,
      'give this host a slice no other host holds (`xnet-tui status` on a peer shows its slice)',
      'in_use',
    );
  const inside = lanHostsIn(slice, lan, hosts);
  if (inside.length > 0)
    throw badInput(
      'slice',
      `${slice} holds ${inside.join(', ')}, already on the LAN ${lan.cidr}: docker would hand them to containers`,
      'choose a block of the LAN with no host in it (leave --slice out to have one proposed)',
      'in_use',
    );
}

/**
 * A slice for this host: the first PROPOSED_PREFIX block of the LAN that holds no LAN host and overlaps no
 * other host's slice; undefined when the LAN has none left.
 */
export function proposeSlice(
  lan: Lan,
  hosts: readonly string[],
  taken: readonly SliceHolder[],
): string | undefined {
  const [net, p] = lan.cidr.split('/');
  const lanPrefix = Number(p);
  const prefix = Math.max(PROPOSED_PREFIX, lanPrefix + 1);
  const step = 2 ** (32 - prefix);
  const count = 2 ** (prefix - lanPrefix);
  for (let i = 0; i < count; i++) {
    const slice = `${intToIpv4(ipv4ToInt(net!) + i * step)}/${prefix}`;
    if (lanHostsIn(slice, lan, hosts).length === 0 && !sliceHolder(slice, taken)) return slice;
  }
  return undefined;
}

/** Why a container may not take `address` on the LAN bridge, or undefined when it may. */
export function attachRefusal(
  address: string,
  lan: Lan,
  slices: readonly SliceHolder[],
  lanHosts: readonly { address: string; what: string }[],
): string | undefined {
  if (!inside(lan.cidr, address)) return `${address} is not on the LAN ${lan.cidr}`;
  const slice = slices.find((s) => inside(s.slice, address));
  if (slice) return `${address} is inside ${slice.slice}, the docker slice of ${slice.host}`;
  const host = lanHosts.find((h) => h.address === address);
  if (host) return `${address} is already used on the LAN by ${host.what}`;
  const edges = lanHostsIn(`${address}/32`, lan, []);
  if (edges.length > 0) return `${address} is the LAN's network or broadcast address`;
  return undefined;
}
