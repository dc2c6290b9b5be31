import type { Result } from '../api/index.js';
import type { AddressClash } from '../api/router-status.js';
import type { ReconcileFailure } from '../api/attach.js';
import type { ContainerCache } from '../docker/container-cache.js';
import { clashOf, view } from './attach-view.js';
import { liveCidrsOf } from './live-cidrs.js';
import type { StateStore } from './state.js';

/**
 * The `containers` method (the TUI's Containers pane, every second per TUI): every container from the
 * agent's container cache, each attachment beside it with its addresses from /proc. No docker call: the
 * cache follows docker's events. (Attach takes a running container from it too: attach-lookup.ts.)
 */
export interface ContainerRowsDeps {
  cache: ContainerCache;
  store: StateStore;
  clashes: () => AddressClash[];
  failures: () => ReconcileFailure[];
}

/**
 * One row per attachment, from the cache and /proc: the Containers pane's, and the health watch's every 5 s
 * (`settled`: a container whose event is still being read counts as unknown, i.e. stopped, so a PID the cache
 * is about to replace never reads as drift). No docker call either way.
 */
export async function attachmentRows(d: ContainerRowsDeps, settled = false): Promise<Result<'ps'>> {
  await d.cache.ready();
  const clashes = d.clashes();
  const failures = d.failures();
  const attachments = await Promise.all(
    d.store.current.attachments.map(async (a) => {
      const c = settled ? d.cache.find(a.containerId) : d.cache.info(a.containerId);
      // /proc first, `ip` only for a container that seems to lack an address; a failed read is no address.
      const live = c?.running
        ? await liveCidrsOf(c.pid, a.ifname, a.cidrs).catch(() => undefined)
        : undefined;
      const row = view(a, c, live, undefined, clashOf(a, clashes));
      const failure = failures.find((f) => f.containerId === a.containerId);
      return failure ? { ...row, reconcile: failure } : row;
    }),
  );
  return { attachments };
}

export async function containerRows(d: ContainerRowsDeps): Promise<Result<'containers'>> {
  const { attachments } = await attachmentRows(d);
  const byId = new Map(attachments.map((a) => [a.containerId, a]));
  return {
    containers: d.cache.summaries().map((c) => ({ ...c, attachment: byId.get(c.id) ?? null })),
  };
}
