import { badInput, type XnetError } from '../errors.js';
import { parseInterfaceCidr, routeContains, type InterfaceCidr } from '../net/cidr.js';
import type { IpRoute } from '../net/ip.js';
import type { Attachment } from './state.js';

/** Who elsewhere in the mesh holds an address, as the router answers it. */
export interface MeshOwner {
  peer: string;
  container: string;
}

/** Everything attach decides on, read before any change. */
export interface AttachInput {
  cidrs: readonly InterfaceCidr[];
  container: { id: string; name: string };
  attachments: readonly Attachment[];
  /** IPv4 CIDRs on the container's interface now; undefined when the container has no such interface. */
  live: readonly string[] | undefined;
  /** The host end of this container's veth exists (with no interface in the container, it is left over). */
  hostVeth: boolean;
  routes: readonly IpRoute[];
  /** The bridge containers go on now: routes through it do not count as host routes. */
  bridge: string;
  ifname: string;
  now: string;
}

/** One change to the kernel or the state, in the order they run; the effects write each one's undo beside it. */
export type AttachStep =
  | { kind: 'claim'; cidrs: string[] }
  | { kind: 'remove-stale-veth' }
  | { kind: 'plug' }
  | { kind: 'add-addresses'; cidrs: string[] }
  | { kind: 'record'; attachment: Attachment }
  | { kind: 'announce'; addresses: string[] };

export interface AttachPlan {
  /** Addresses new to the state. */
  added: string[];
  /** Asked for and already in the state. */
  alreadyPresent: string[];
  /** In the state but missing from the kernel (drift): put back. */
  repaired: string[];
  /** Addresses to ask the mesh about before any step (see refuseOwned). */
  ask: string[];
  steps: AttachStep[];
  /** The attachment as it stands once the steps have run. */
  attachment: Attachment;
}

export type AttachDecision = { refusal: XnetError } | { plan: AttachPlan };

/** The addresses of a request, parsed, each given once; throws bad input naming the field. */
export function parseRequest(texts: readonly string[]): InterfaceCidr[] {
  const cidrs = texts.map((t) => parseInterfaceCidr(t));
  const seen = new Map<string, string>();
  for (const c of cidrs) {
    const other = seen.get(c.address);
    if (other)
      throw badInput(
        'cidr',
        `${c.address} is given twice (${other} and ${c.cidr})`,
        'give each address once',
      );
    seen.set(c.address, c.cidr);
  }
  return cidrs;
}

/**
 * The `weave attach` rules, and what to change: refuse an address held by another container here, a prefix
 * change, or one inside a host route; otherwise record, plug when the container has no interface (removing a
 * host end left from its previous namespace first), and add what the kernel lacks (new addresses and drift).
 */
export function planAttach(input: AttachInput): AttachDecision {
  const { container } = input;
  const existing = input.attachments.find((a) => a.containerId === container.id);
  const toAdd: InterfaceCidr[] = [];
  const alreadyPresent: string[] = [];
  for (const c of input.cidrs) {
    for (const a of input.attachments) {
      for (const held of a.cidrs.map((t) => parseInterfaceCidr(t))) {
        if (held.address !== c.address) continue;
        if (a.containerId !== container.id) {
          return refuse(
            `${c.address} is already attached to container ${a.containerName} on this host`,
            `pick another address, or detach it first: xnet-tui detach ${held.cidr} ${a.containerName}`,
          );
        }
        if (held.prefix !== c.prefix) {
          return refuse(
            `${container.name} already has ${held.cidr}, not ${c.cidr}`,
            `detach ${held.cidr} first to change its prefix`,
          );
        }
      }
    }
    if (existing?.cidrs.includes(c.cidr)) {
      alreadyPresent.push(c.cidr);
      continue;
    }
    const route = input.routes.find((r) => r.dev !== input.bridge && routeContains(r.dst, c.address));
    if (route) {
      const desc = [route.dst, route.dev && `dev ${route.dev}`, route.gateway && `via ${route.gateway}`]
        .filter(Boolean)
        .join(' ');
      return refuse(
        `${c.address} is inside the host route ${desc}`,
        'pick an address outside the routes that `ip route` lists, or the container would be unreachable from this host',
      );
    }
    toAdd.push(c);
  }

  const added = toAdd.map((c) => c.cidr);
  const recorded = existing?.cidrs ?? [];
  const live = input.live ?? [];
  const repaired = recorded.filter((c) => !live.includes(c));
  const missing = [...repaired, ...added.filter((c) => !live.includes(c))];
  const attachment: Attachment = existing
    ? { ...existing, containerName: container.name, cidrs: [...recorded, ...added] }
    : {
        containerId: container.id,
        containerName: container.name,
        ifname: input.ifname,
        cidrs: added,
        since: input.now,
      };

  const steps: AttachStep[] = [];
  // The router's IPAM (Weave) has the last word on an address, anywhere in the mesh: claim before any change.
  if (added.length > 0) steps.push({ kind: 'claim', cidrs: added });
  // Recorded before the kernel changes (its write overlaps them; undone if one fails): a crash in between
  // leaves a state that the agent's start reconciles the kernel to, never a kernel change the state lacks.
  if (added.length > 0 || !existing) steps.push({ kind: 'record', attachment });
  if (input.live === undefined && missing.length > 0) {
    if (input.hostVeth) steps.push({ kind: 'remove-stale-veth' });
    steps.push({ kind: 'plug' });
  }
  if (missing.length > 0) steps.push({ kind: 'add-addresses', cidrs: missing });
  if (missing.length > 0) steps.push({ kind: 'announce', addresses: missing.map((c) => c.split('/')[0]!) });
  return { plan: { added, alreadyPresent, repaired, ask: toAdd.map((c) => c.address), steps, attachment } };
}

/** The mesh's answers for `plan.ask`, in order: the first address another host holds refuses the attach. */
export function refuseOwned(
  plan: AttachPlan,
  owners: readonly (MeshOwner | undefined)[],
): XnetError | undefined {
  for (const [i, owner] of owners.entries()) {
    if (!owner) continue;
    return badInput(
      'cidr',
      `${plan.ask[i]} is already used in the mesh by container ${owner.container} on peer ${owner.peer}`,
      'pick another address; `xnet-tui status peers` lists the peers',
    );
  }
  return undefined;
}

function refuse(message: string, hint: string): AttachDecision {
  return { refusal: badInput('cidr', message, hint) };
}
