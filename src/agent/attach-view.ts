import type { IpAddr } from '../net/ip.js';
import { containerMac, hostVethName } from '../net/veth.js';
import type { ContainerInfo } from '../docker/containers.js';
import type { AttachmentView, ReconcileFailure } from '../api/index.js';
import type { Failure } from './retries.js';
import type { Attachment, State } from './state.js';

/** The container holding `address` on this host, if any, by the state (answers peers asking before they attach). */
export function localOwner(state: Readonly<State>, address: string): string | undefined {
  return state.attachments.find((a) => a.cidrs.some((c) => c.split('/')[0] === address))?.containerName;
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
  };
}
