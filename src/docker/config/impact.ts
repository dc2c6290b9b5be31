import type Docker from 'dockerode';
import type { ContainerAfter, RestartImpact } from '../../api/dockerd.js';
import { listContainers } from '../containers.js';

/**
 * What restarting dockerd does to the containers: with live-restore off (dockerd's default, and the lab's),
 * every running container is stopped with the daemon and stays stopped (restart policies aside). Asked of the
 * running daemon, whose live-restore decides what happens as it stops.
 */
export async function restartImpact(docker: Docker): Promise<RestartImpact | null> {
  try {
    const [info, list] = await Promise.all([
      docker.info() as Promise<{ LiveRestoreEnabled?: boolean }>,
      listContainers(docker),
    ]);
    return {
      liveRestore: info.LiveRestoreEnabled === true,
      running: list.filter((c) => c.running).map((c) => ({ id: c.id, name: c.name })),
    };
  } catch {
    return null;
  }
}

/** Each container that ran before the restart, as docker reports it now (gone: not running, "removed"). */
export async function containersAfter(
  docker: Docker,
  before: RestartImpact | null,
): Promise<ContainerAfter[]> {
  if (!before) return [];
  const now = new Map((await listContainers(docker).catch(() => [])).map((c) => [c.id, c]));
  return before.running.map((b) => {
    const c = now.get(b.id);
    return {
      id: b.id,
      name: b.name,
      wasRunning: true,
      running: c?.running ?? false,
      status: c?.status ?? 'removed',
    };
  });
}

/** Those the restart stopped. */
export const stoppedBy = (after: readonly ContainerAfter[]): ContainerAfter[] =>
  after.filter((c) => c.wasRunning && !c.running);

/** Starts containers by name or ID, one at a time; each one's outcome, never a throw. */
export async function startContainers(
  docker: Docker,
  refs: readonly string[],
): Promise<Array<{ name: string; running: boolean; error: string | null }>> {
  const out: Array<{ name: string; running: boolean; error: string | null }> = [];
  for (const ref of refs) {
    try {
      await docker.getContainer(ref).start();
      out.push({ name: ref, running: true, error: null });
    } catch (err) {
      const e = err as { statusCode?: number; json?: { message?: string }; message?: string };
      // 304: already running.
      if (e.statusCode === 304) out.push({ name: ref, running: true, error: null });
      else out.push({ name: ref, running: false, error: e.json?.message ?? e.message ?? String(err) });
    }
  }
  return out;
}
