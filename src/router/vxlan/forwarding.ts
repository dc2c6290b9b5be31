import ipaddr from 'ipaddr.js';
import { FLOOD_MAC, type FdbEntry } from '../../net/fdb.js';
import type { NeighEntry } from '../../net/neigh.js';
import { linkLocalOfMac } from '../data-plane.js';

/**
 * What the VXLAN device should hold, pure: a static FDB entry (MAC -> the holder's VTEP) and a permanent
 * neighbour entry (address -> MAC, which `proxy` answers ARP and ND from) for every remote attachment and every
 * peer's probe address, and one all-zeros entry per alive peer for what the table does not know (head-end
 * replication). The VTEP is always the member's gossip address, never something a member said.
 */

export interface Forward {
  address: string;
  mac: string;
  vtep: string;
}

export interface ForwardingPlan {
  /** `bridge -batch` lines (FDB). */
  fdb: string[];
  /** `ip -batch` lines (neighbours). */
  neigh: string[];
}

/**
 * One spelling per address: the kernel and we may write an IPv6 address differently. Remembered: every pass
 * spells every neighbour entry of the device (two per peer and per remote container), and parsing them was a
 * tenth of a pass's time at 50 hosts. Bounded: a mesh past the bound starts the memo again.
 */
const spelled = new Map<string, string>();
const MAX_SPELLED = 20_000;
function canonical(a: string): string {
  if (!a.includes(':')) return a;
  let c = spelled.get(a);
  if (c === undefined) {
    if (spelled.size >= MAX_SPELLED) spelled.clear();
    c = ipaddr.parse(a).toNormalizedString();
    spelled.set(a, c);
  }
  return c;
}

export function forwardingPlan(
  dev: string,
  current: { fdb: readonly FdbEntry[]; neigh: readonly NeighEntry[] },
  want: { vteps: readonly string[]; forwards: readonly Forward[] },
): ForwardingPlan {
  const vteps = new Set(want.vteps);
  const macs = new Map<string, string>();
  for (const f of want.forwards) if (vteps.has(f.vtep)) macs.set(f.mac, f.vtep);
  const fdb: string[] = [];
  const flooding = new Set(current.fdb.filter((e) => e.mac === FLOOD_MAC && e.dst).map((e) => e.dst!));
  for (const v of vteps) if (!flooding.has(v)) fdb.push(`fdb append ${FLOOD_MAC} dev ${dev} dst ${v}`);
  const have = new Map<string, string>();
  for (const e of current.fdb) {
    // Entries without a destination are the bridge's own (the device's MAC): not ours to touch.
    if (!e.dst) continue;
    if (e.mac === FLOOD_MAC) {
      if (!vteps.has(e.dst)) fdb.push(`fdb del ${FLOOD_MAC} dev ${dev} dst ${e.dst}`);
      continue;
    }
    if (macs.get(e.mac) === e.dst && !have.has(e.mac)) have.set(e.mac, e.dst);
    else fdb.push(`fdb del ${e.mac} dev ${dev} dst ${e.dst}`);
  }
  for (const [mac, vtep] of macs)
    if (!have.has(mac)) fdb.push(`fdb replace ${mac} dev ${dev} dst ${vtep} static`);

  const neigh = neighPlan(
    dev,
    current.neigh,
    want.forwards.filter((f) => vteps.has(f.vtep)),
    () => true,
  );
  return { fdb, neigh };
}

const permanent = (n: NeighEntry): boolean => n.state?.includes('PERMANENT') ?? false;

/**
 * `ip -batch` lines that make `dev`'s permanent neighbour entries exactly `want`; of the entries there, only
 * those `ours` says are ours are removed (all of them on the VXLAN device; on the bridge, the permanent ones).
 */
export function neighPlan(
  dev: string,
  current: readonly NeighEntry[],
  want: readonly { address: string; mac: string }[],
  ours: (n: NeighEntry) => boolean = permanent,
): string[] {
  const addrs = new Map<string, { address: string; mac: string }>();
  for (const f of want) addrs.set(canonical(f.address), { address: f.address, mac: f.mac });
  const neigh: string[] = [];
  const present = new Set<string>();
  for (const n of current) {
    const key = canonical(n.dst);
    const mac = addrs.get(key)?.mac;
    if (mac && n.lladdr === mac && permanent(n)) present.add(key);
    else if (!mac && ours(n)) neigh.push(`neigh del ${n.dst} dev ${dev}`);
  }
  for (const [key, { address, mac }] of addrs)
    if (!present.has(key)) neigh.push(`neigh replace ${address} lladdr ${mac} dev ${dev} nud permanent`);
  return neigh;
}

// Weave's probe addresses are made the same way, so the function lives with the probe plan.
export { linkLocalOfMac } from '../data-plane.js';

/**
 * What the device should forward, from the table and the alive members: each remote container's MAC and its
 * IPv6 link-local (the automatic checks' source, which the far bridge must resolve to answer), flagged or not,
 * since a MAC lives on one host only; its IPv4 address only where kept; and every alive peer's probe address
 * (`probes`, which the bridge needs permanent entries for as well).
 */
export function wantedForwards(
  alive: readonly { name: string; addr: string; tags: Readonly<Record<string, string>> }[],
  held: readonly { host: string; mac: string }[],
  remote: readonly { host: string; mac: string; address: string }[],
  probeMac: (member: string) => string | undefined,
): { forwards: Forward[]; probes: Forward[] } {
  const vtep = new Map(alive.map((m) => [m.name, m.addr]));
  const forwards: Forward[] = [];
  for (const h of held) {
    const v = vtep.get(h.host);
    if (v) forwards.push({ address: linkLocalOfMac(h.mac), mac: h.mac, vtep: v });
  }
  for (const h of remote) {
    const v = vtep.get(h.host);
    if (v) forwards.push({ address: h.address, mac: h.mac, vtep: v });
  }
  const probes: Forward[] = [];
  for (const m of alive) {
    const ll = m.tags.ll;
    const mac = probeMac(m.name) ?? (ll ? macOfLinkLocal(ll) : undefined);
    if (ll && mac) probes.push({ address: ll, mac, vtep: m.addr });
  }
  forwards.push(...probes);
  return { forwards, probes };
}

/**
 * The MAC an EUI-64 IPv6 link-local address was made from (fe80::/64, ff:fe in the middle of the interface ID),
 * or undefined for one that was not (stable-privacy, random): a peer's probe address answered before its own
 * list arrives. Parsed, not matched as text: a MAC beginning 02:00 gives an interface ID beginning with a zero
 * group, which the written form folds into the `::` (fe80::a3ff:fe10:8ce5 is 02:00:a3:10:8c:e5); a pattern of
 * four groups missed it, and that host's peers could program its probe address only from its list, late.
 */
export function macOfLinkLocal(ll: string): string | undefined {
  if (!ipaddr.IPv6.isValid(ll)) return undefined;
  const b = ipaddr.IPv6.parse(ll).toByteArray();
  const linkLocal = b[0] === 0xfe && b[1] === 0x80 && b.slice(2, 8).every((x) => x === 0);
  if (!linkLocal || b[11] !== 0xff || b[12] !== 0xfe) return undefined;
  const mac = [b[8]! ^ 0x02, b[9]!, b[10]!, b[13]!, b[14]!, b[15]!];
  return mac.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
