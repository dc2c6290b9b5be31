import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { IpRoute } from './ip.js';

/**
 * The main routing table of the caller's own namespace as the kernel prints it in /proc/net/route, parsed
 * into what `ip -json -4 route show table main` gives (dst, dev, gateway): a file read instead of an `ip`
 * process, for attach's host-route check, which runs on every attach.
 */

const RTF_GATEWAY = 0x2;
const RTF_HOST = 0x4;

/** An IPv4 address as /proc/net/route prints it: 8 hex digits in the host's byte order. */
function address(hex: string, little: boolean): string {
  const n = parseInt(hex, 16);
  const bytes = [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return (little ? bytes.reverse() : bytes).join('.');
}

function prefixOf(mask: string, little: boolean): number {
  return address(mask, little)
    .split('.')
    .reduce((bits, b) => bits + Number(b).toString(2).replace(/0/g, '').length, 0);
}

/** Pure: the text of /proc/net/route; `little` is the host's byte order (x86 and arm64: little-endian). */
export function parseProcRoute(text: string, little = endianness() === 'LE'): IpRoute[] {
  const out: IpRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dst, gw, flagsHex, , , , mask] = f as [string, string, string, string, ...string[]];
    const flags = parseInt(flagsHex, 16);
    const prefix = prefixOf(mask!, little);
    const net = address(dst, little);
    const route: IpRoute = {
      // ip prints the default route as "default" and a host route without its /32.
      dst: prefix === 0 ? 'default' : prefix === 32 || flags & RTF_HOST ? net : `${net}/${prefix}`,
    };
    // Unreachable, blackhole and prohibit routes have no device: "*" here, none in ip's output.
    if (iface !== '*') route.dev = iface;
    if (flags & RTF_GATEWAY) route.gateway = address(gw, little);
    out.push(route);
  }
  return out;
}

/** The caller's own namespace's main IPv4 table, without a process. */
export async function ownRoutes4(): Promise<IpRoute[]> {
  return parseProcRoute(await readFile('/proc/self/net/route', 'utf8'));
}
