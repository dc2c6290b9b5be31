import ipaddr from 'ipaddr.js';
import { badInput } from '../errors.js';

/** An interface address as the operator wrote it: an IPv4 address and its prefix length. */
export interface InterfaceCidr {
  address: string;
  prefix: number;
  /** Normalised `address/prefix`. */
  cidr: string;
  /** The subnet it lives in, `network/prefix`. */
  subnet: string;
}

export const MIN_PREFIX = 1;
export const MAX_PREFIX = 30;

/**
 * Parses an address for a container interface, like `weave attach 172.25.11.23/24`.
 * Throws a bad-input error naming the field for anything a kernel would reject or an operator would regret.
 */
export function parseInterfaceCidr(text: string, field = 'cidr'): InterfaceCidr {
  const example = 'for example 172.25.11.23/24';
  const [addrText, prefixText, ...rest] = text.split('/');
  if (addrText === undefined || prefixText === undefined || rest.length > 0) {
    throw badInput(
      field,
      `"${text}" is not an address with a prefix length`,
      `write ADDRESS/PREFIX, ${example}`,
    );
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(addrText)) {
    const v6 = ipaddr.IPv6.isValid(addrText);
    throw badInput(
      field,
      v6
        ? `"${text}" is IPv6; attach takes IPv4 addresses`
        : `"${addrText}" in "${text}" is not an IPv4 address`,
      `write four decimal numbers 0-255 and a prefix, ${example}`,
    );
  }
  if (!/^\d{1,2}$/.test(prefixText)) {
    throw badInput(field, `prefix "/${prefixText}" in "${text}" is not a number`, example);
  }
  const prefix = Number(prefixText);
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
    throw badInput(
      field,
      `prefix /${prefix} in "${text}" is out of range`,
      `use a prefix from /${MIN_PREFIX} to /${MAX_PREFIX} (a /31 or /32 leaves no neighbours on the bridge)`,
    );
  }
  const address = ipaddr.IPv4.parse(addrText).toString();
  const network = ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefix}`).toString();
  const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(`${address}/${prefix}`).toString();
  if (address === network) {
    throw badInput(
      field,
      `${address} is the network address of ${network}/${prefix}`,
      `pick a host address such as ${nthHost(network, 1)}/${prefix}`,
    );
  }
  if (address === broadcast) {
    throw badInput(
      field,
      `${address} is the broadcast address of ${network}/${prefix}`,
      `pick a host address such as ${nthHost(network, 1)}/${prefix}`,
    );
  }
  return { address, prefix, cidr: `${address}/${prefix}`, subnet: `${network}/${prefix}` };
}

/** The n-th address after `network`. */
export function nthHost(network: string, n: number): string {
  return intToIpv4(ipv4ToInt(network) + n);
}

/**
 * A dotted-quad IPv4 address as an unsigned 32-bit number (NaN for any other text): the one conversion, for
 * address arithmetic and for matching the capture's header fields.
 */
export function ipv4ToInt(text: string): number {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return NaN;
  return ipaddr.IPv4.parse(text)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);
}

/** The other way: an unsigned 32-bit number as a dotted quad. */
export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Whether an IPv4 address lies inside a route destination (`default`, `10.0.0.0/8`, or a bare host `10.0.0.1`). */
export function routeContains(dst: string, address: string): boolean {
  if (dst === 'default') return false;
  const range = dst.includes('/') ? dst : `${dst}/32`;
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(range);
  } catch {
    return false;
  }
  const addr = ipaddr.parse(address);
  if (addr.kind() !== parsed[0].kind()) return false;
  return addr.match(parsed);
}

/** Whether two CIDRs share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const pa = ipaddr.parseCIDR(a);
  const pb = ipaddr.parseCIDR(b);
  if (pa[0].kind() !== pb[0].kind()) return false;
  const narrower = pa[1] >= pb[1] ? pa : pb;
  const wider = narrower === pa ? pb : pa;
  return narrower[0].match(wider);
}
