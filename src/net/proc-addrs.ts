import { readFile } from 'node:fs/promises';

/**
 * An interface's IPv4 addresses read from a process's network namespace through /proc (no `ip`, no nsenter):
 * the local addresses in `net/fib_trie` that fall in a connected route on that interface in `net/route`.
 * Pure parsers beside the reader. It can miss what `ip addr` shows (a /32 or noprefixroute address has no
 * connected route, a link that is down has none), so a caller treats "missing" as "ask `ip`", never as proof.
 */

const ipOf = (hexLe: string): number => {
  const n = parseInt(hexLe, 16);
  // /proc/net/route prints the address as the kernel holds it: network order read as a little-endian word.
  return (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;
};
const toInt = (ip: string): number => ip.split('.').reduce((a, o) => ((a << 8) | Number(o)) >>> 0, 0);
const prefixOf = (mask: number): number => mask.toString(2).replace(/0+$/, '').length;

/** Connected routes (no gateway) on `ifname`: network and mask. */
export function connectedRoutes(route: string, ifname: string): { net: number; mask: number }[] {
  return route
    .split('\n')
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[0] === ifname && f[2] === '00000000' && f.length >= 8)
    .map((f) => ({ net: ipOf(f[1]!), mask: ipOf(f[7]!) }));
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
    const n = toInt(a);
    const r = routes.find((x) => (n & x.mask) >>> 0 === x.net && x.mask !== 0xffffffff);
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
