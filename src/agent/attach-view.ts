import type { IpAddr } from '../net/ip.js';
import { containerMac, hostVethName } from '../net/veth.js';
import type { ContainerInfo } from '../docker/containers.js';
import type { AttachmentView, ReconcileFailure } from '../api/index.js';
import type { Failure } from './retries.js';
import type { Attachment } from './state.js';
import type { AddressClash } from '../api/router-status.js';

/**
 * Why this attachment is flagged, if another host claimed one of its addresses first (the mesh's address
 * table): the older claim keeps the address and its forwarding entries, this newer one is flagged.
 */
export function clashOf(a: Attachment, clashes: readonly AddressClash[]): string | undefined {
  for (const c of clashes) {
    if (!a.cidrs.some((x) => x.split('/')[0] === c.address)) continue;
    if (!c.flagged.some((f) => f.self)) continue;
    const who = c.kept.nickname ? `peer ${c.kept.nickname} (${c.kept.host})` : `peer ${c.kept.host}`;
    return `${c.address} is also held by ${c.kept.container} on ${who}, claimed earlier (${c.kept.since}): that claim keeps it; detach it here`;
  }
  return undefined;
}

export function liveCidrs(live: IpAddr): string[] {
  return live.addr_info.filter((x) => x.family === 'inet').map((x) => `${x.local}/${x.prefixlen}`);
}

export function failureView(f: Failure, attachments: readonly Attachment[]): ReconcileFailure {
  return {
    container: attachments.find((a) => a.containerId === f.key)?.containerName ?? f.key.slice(0, 12),
    containerId: f.key,
    reason: f.reason,
    attempts: f.attempts,
    retryAt: new Date(f.retryAt).toISOString(),
  };
}

/** An attachment as ps shows it: desired beside live, and why a reconcile is failing if it is. */
export function view(
  a: Attachment,
  c: ContainerInfo | undefined,
  live: string[] | undefined,
  failure?: Failure,
  clash?: string,
): AttachmentView {
  const inSync = live !== undefined && a.cidrs.every((x) => live.includes(x));
  return {
    container: c?.name ?? a.containerName,
    containerId: a.containerId,
    ifname: a.ifname,
    hostIfname: hostVethName(a.containerId),
    mac: live ? containerMac(a.containerId) : null,
    cidrs: a.cidrs,
    live: live ?? [],
    state: !c?.running ? 'container-stopped' : inSync ? 'attached' : 'drift',
    ...(failure ? { reconcile: failureView(failure, [a]) } : {}),
    ...(clash ? { clash } : {}),
  };
}
