import ipaddr from 'ipaddr.js';
import { badInput } from '../errors.js';
import { addrs, routes4, type IpRoute } from '../net/ip.js';
import { cidrsOverlap } from '../net/cidr.js';
import type { NetnsPath } from '../net/netns.js';

export interface Underlay {
  address: string;
  dev: string;
  mtu: number;
}

/** Interfaces that are ours or docker's, never the underlay. */
const OVERLAY_DEV = /^(xnet|docker|veth|vx|br-|lo$)/;

/** The address this host is reached at: the one asked for, else the default route's, else the first global one. */
export async function findUnderlay(netns: NetnsPath, listen?: string): Promise<Underlay> {
  const links = await addrs(netns);
  const v4 = links.flatMap((l) =>
    l.addr_info
      .filter((a) => a.family === 'inet' && a.local !== '127.0.0.1')
      .map((a) => ({ address: a.local, dev: l.ifname, mtu: l.mtu })),
  );
  if (listen) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(listen)) {
      throw badInput(
        'listen',
        `"${listen}" is not an IPv4 address`,
        "give one of this host's addresses, e.g. --listen 198.18.0.1",
      );
    }
    const found = v4.find((a) => a.address === listen);
    if (!found)
      throw badInput(
        'listen',
        `${listen} is not an address of this host`,
        `this host has ${v4.map((a) => a.address).join(', ') || 'no IPv4 address'}`,
      );
    return found;
  }
  const routes = await routes4(netns);
  const viaDefault = routes.find((r) => r.dst === 'default')?.dev;
  const candidates = v4.filter((a) => !OVERLAY_DEV.test(a.dev));
  const chosen = candidates.find((a) => a.dev === viaDefault) ?? candidates[0];
  if (!chosen) throw badInput('listen', 'this host has no underlay IPv4 address', 'give --listen ADDRESS');
  return chosen;
}

export const DEFAULT_RANGE = '10.32.0.0/12';

/** Weave's rule: a default range that overlaps a host route is an error; a chosen one, a warning. */
export function checkRange(
  range: string,
  routes: readonly IpRoute[],
  chosen: boolean,
  bridge: string,
): string[] {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(range);
  } catch {
    throw badInput('range', `"${range}" is not a CIDR`, 'example: --range 10.32.0.0/12');
  }
  if (parsed[0].kind() !== 'ipv4')
    throw badInput('range', `${range} is IPv6; the overlay range is IPv4`, 'example: --range 10.32.0.0/12');
  const clashes = routes.filter(
    (r) =>
      r.dst !== 'default' &&
      r.dev !== bridge &&
      cidrsOverlap(r.dst.includes('/') ? r.dst : `${r.dst}/32`, range),
  );
  if (clashes.length === 0) return [];
  const what = clashes.map((r) => `${r.dst}${r.dev ? ` dev ${r.dev}` : ''}`).join(', ');
  if (!chosen) {
    throw badInput(
      'range',
      `the default range ${range} overlaps the host route ${what}`,
      'choose a free range with --range CIDR',
    );
  }
  return [
    `range ${range} overlaps the host route ${what}; containers there may be unreachable from this host`,
  ];
}
