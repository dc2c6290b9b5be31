import { readFile } from 'node:fs/promises';
import { ipv4ToInt } from './cidr.js';
import { parseProcRoute } from './proc-route.js';

/**
 * An interface's IPv4 addresses read from a process's network namespace through /proc (no `ip`, no nsenter):
 * the local addresses in `net/fib_trie` that fall in a connected route on that interface in `net/route`.
 * Pure parsers beside the reader. It can miss what `ip addr` shows (a /32 or noprefixroute address has no
 * connected route, a link that is down has none), so a caller treats "missing" as "ask `ip`", never as proof.
 */

const prefixOf = (mask: number): number => mask.toString(2).replace(/0+$/, '').length;

/** Connected routes (no gateway, a prefix shorter than /32) on `ifname`: network and mask. */
export function connectedRoutes(route: string, ifname: string): { net: number; mask: number }[] {
  return parseProcRoute(route)
    .filter((r) => r.dev === ifname && !r.gateway && r.dst.includes('/'))
    .map((r) => {
      const [net, len] = r.dst.split('/') as [string, string];
      const bits = Number(len);
      return { net: ipv4ToInt(net), mask: bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0 };
    });
}

/** Every address the namespace holds as its own (`/32 host LOCAL` in fib_trie). */
export function localAddresses(fibTrie: string): string[] {
  const out = new Set<string>();
  let last: string | undefined;
  for (const l of fibTrie.split('\n')) {
    const leaf = /\|-- (\d+\.\d+\.\d+\.\d+)/.exec(l);
    if (leaf) last = leaf[1];
    else if (last && /\/32 host LOCAL/.test(l)) out.add(last);
  }
  return [...out];
}

/** `a.b.c.d/len` for each local address inside a connected route on `ifname`. */
export function cidrsOn(fibTrie: string, route: string, ifname: string): string[] {
  const routes = connectedRoutes(route, ifname);
  const out: string[] = [];
  for (const a of localAddresses(fibTrie)) {
    const n = ipv4ToInt(a);
    const r = routes.find((x) => (n & x.mask) >>> 0 === x.net);
    if (r) out.push(`${a}/${prefixOf(r.mask)}`);
  }
  return out;
}

/** The same, read from the namespace of `pid`; undefined when it cannot be read (the process is gone). */
export async function procCidrs(pid: number, ifname: string): Promise<string[] | undefined> {
  try {
    const [trie, route] = await Promise.all([
      readFile(`/proc/${pid}/net/fib_trie`, 'utf8'),
      readFile(`/proc/${pid}/net/route`, 'utf8'),
    ]);
    return cidrsOn(trie, route, ifname);
  } catch {
    return undefined;
  }
}
