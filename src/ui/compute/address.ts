import type { ContainerRow } from '../../api/index.js';
import { intToIpv4, ipv4ToInt, parseInterfaceCidr } from '../../net/cidr.js';
import { XnetError } from '../../errors.js';

/** The article's container subnet: what the attach dialog suggests on a host with no attachments yet. */
export const DEFAULT_SUBNET = '172.25.11.0/24';

export type CidrCheck =
  { ok: true; cidr: string } | { ok: false; empty: boolean; message: string; hint?: string | undefined };

/** Addresses (without prefix) already given to containers on this host, desired or live. */
export function addressesInUse(containers: readonly ContainerRow[]): Map<string, string> {
  const used = new Map<string, string>();
  for (const c of containers)
    for (const cidr of [...(c.attachment?.cidrs ?? []), ...(c.attachment?.live ?? [])])
      used.set(cidr.split('/')[0]!, c.name);
  return used;
}

/**
 * Live validation of what the operator is typing in the attach dialog: the agent's own CIDR rules (same
 * function, same messages) plus "already used on this host by X". The agent checks again on submit.
 */
/** The running router's range, which attach suggestions keep inside; null when no router runs. */
export function routerRange(router: {
  available: boolean;
  data?: { state: string; range: string | null };
}): string | null {
  return router.available && router.data?.state === 'running' ? (router.data.range ?? null) : null;
}

export function checkCidr(
  text: string,
  containers: readonly ContainerRow[],
  forContainer?: string,
): CidrCheck {
  if (text.trim() === '') return { ok: false, empty: true, message: 'type an address, e.g. 172.25.11.23/24' };
  try {
    const parsed = parseInterfaceCidr(text.trim());
    const holder = addressesInUse(containers).get(parsed.address);
    if (holder && holder !== forContainer) {
      return { ok: false, empty: false, message: `${parsed.address} is already attached to ${holder}` };
    }
    return { ok: true, cidr: parsed.cidr };
  } catch (err) {
    if (err instanceof XnetError) return { ok: false, empty: false, message: err.message, hint: err.hint };
    throw err;
  }
}

/** Whether `subnet` (a.b.c.d/n) lies inside `range`. */
function within(subnet: string, range: string): boolean {
  const [net, p] = subnet.split('/');
  const [rnet, rp] = range.split('/');
  const rprefix = Number(rp);
  if (Number(p) < rprefix) return false;
  const mask = rprefix === 0 ? 0 : (~0 << (32 - rprefix)) >>> 0;
  return (ipv4ToInt(net!) & mask) >>> 0 === (ipv4ToInt(rnet!) & mask) >>> 0;
}

/**
 * A free address to offer: in the subnet most attachments on this host use (else DEFAULT_SUBNET), the lowest
 * host address above those in use, wrapping to the lowest free one; undefined when the subnet is full. When a
 * router runs, only inside its range: the most used subnet if it lies there, else the range itself.
 */
export function suggestCidr(containers: readonly ContainerRow[], range?: string | null): string | undefined {
  const counts = new Map<string, number>();
  for (const c of containers)
    for (const cidr of c.attachment?.cidrs ?? []) {
      try {
        const s = parseInterfaceCidr(cidr).subnet;
        counts.set(s, (counts.get(s) ?? 0) + 1);
      } catch {
        // a stored address the rules now reject is not a basis for suggestions
      }
    }
  const ranked = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([s]) => s);
  const subnet = range ? (ranked.find((s) => within(s, range)) ?? range) : (ranked[0] ?? DEFAULT_SUBNET);
  const [net, prefixText] = subnet.split('/');
  const prefix = Number(prefixText);
  const base = ipv4ToInt(net!);
  const size = 2 ** (32 - prefix);
  const used = new Set([...addressesInUse(containers).keys()].map(ipv4ToInt));
  const inSubnet = [...used].filter((u) => u > base && u < base + size - 1);
  const start = inSubnet.length ? Math.max(...inSubnet) + 1 : base + 1;
  for (let i = 0; i < size - 2; i++) {
    const cand = base + 1 + ((start - base - 1 + i) % (size - 2));
    if (!used.has(cand)) return `${intToIpv4(cand)}/${prefix}`;
  }
  return undefined;
}
