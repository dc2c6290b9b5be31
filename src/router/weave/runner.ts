// Weave's router container in Docker, run as `weave launch` runs it: its data-only containers, the router
// started (or a running one kept), waited for until it answers; stopped or removed with its data as `weave stop`
// and `weave reset` do. Split from driver.ts, which drives the router through its API once it runs.
import { existsSync } from 'node:fs';
import type Docker from 'dockerode';
import { failed } from '../../errors.js';
import { ensurePulled, logTail } from '../../docker/images.js';
import type { LaunchSettings } from '../driver.js';
import type { WeaveApi } from './api.js';
import {
  DB_CONTAINER,
  LABEL,
  ROUTER_CONTAINER,
  VOLUMES_CONTAINER,
  WEAVE_IMAGE,
  routerContainer,
  volumeContainers,
} from './container.js';
import { poll } from '../../poll.js';

const READY_WITHIN_MS = 30_000;

/**
 * The router running with `settings`: a running one with the same command and password (or one not ours) is
 * kept, anything else replaced. Returns whether it was kept; a kept router not ours adds to `warnings`.
 */
export async function startRouter(
  docker: Docker,
  api: WeaveApi,
  settings: LaunchSettings,
  password: string | undefined,
  warnings: string[],
): Promise<boolean> {
  await ensurePulled(docker, WEAVE_IMAGE);
  for (const spec of volumeContainers()) {
    if (!(await inspectContainer(docker, spec.name!))) await docker.createContainer(spec);
  }
  const socket = (docker.modem as { socketPath?: string }).socketPath;
  const spec = routerContainer({
    nickname: settings.nickname,
    range: settings.range,
    peers: settings.peers,
    ...(password !== undefined ? { password } : {}),
    ...(typeof socket === 'string' ? { dockerSocket: socket } : {}),
    exists: existsSync,
  });
  const current = await inspectContainer(docker, ROUTER_CONTAINER);
  let keep = false;
  if (current) {
    const ours = current.Config.Labels?.[LABEL] === 'weave';
    const weaveImage = /^weaveworks\/weave(:|$)/.test(current.Config.Image);
    if (!ours && !weaveImage)
      throw failed(
        `a container named ${ROUTER_CONTAINER} exists and is not Weave's router (image ${current.Config.Image})`,
        `rename or remove it (docker rm ${ROUTER_CONTAINER}), then launch again`,
      );
    const same =
      JSON.stringify(current.Config.Cmd) === JSON.stringify(spec.Cmd) &&
      envPassword(current.Config.Env) === password;
    if (current.State.Running && (same || !ours)) {
      keep = true;
      if (!ours)
        warnings.push(
          'a Weave router not launched by xnet-tui runs here; it is used as it is (its own range, nickname and ' +
            'password stay; `xnet-tui reset` then launch replaces it)',
        );
    } else {
      await docker.getContainer(ROUTER_CONTAINER).remove({ force: true });
    }
  }
  if (!keep) {
    const created = await docker.createContainer(spec);
    await created.start().catch((err: Error) => {
      const why = ((err as { json?: { message?: string } }).json?.message ?? err.message).trim();
      throw failed(
        `dockerd created the router container ${ROUTER_CONTAINER} but could not start it: ${why}`,
        /apply caps|operation not permitted/.test(why)
          ? "Weave's router runs privileged and this host cannot grant every capability (is it itself a " +
              'container?); `xnet-tui reset` removes what launch created'
          : `\`docker logs ${ROUTER_CONTAINER}\` says why; \`xnet-tui reset\` removes what launch created`,
      );
    });
  }
  await waitReady(docker, api);
  await waitReady(docker, api);
  return keep;
}

/** `weave launch` waits until the router answers; so do we, and say why when it dies instead. */
export async function waitReady(docker: Docker, api: WeaveApi): Promise<void> {
  let last: Error | undefined;
  const ready = await poll(
    async () => {
      try {
        await api.report();
        return true;
      } catch (err) {
        last = err as Error;
      }
      const c = await inspectContainer(docker, ROUTER_CONTAINER);
      if (c && !c.State.Running && !c.State.Restarting) {
        const tail = await logTail(docker, ROUTER_CONTAINER, 5);
        throw failed(
          `Weave's router exited (code ${c.State.ExitCode}) before it answered${tail.length ? `: ${tail.join(' | ')}` : ''}`,
          `\`docker logs ${ROUTER_CONTAINER}\` has the whole story`,
        );
      }
      return undefined;
    },
    { everyMs: 250, withinMs: READY_WITHIN_MS },
  );
  if (ready) return;
  throw failed(
    `Weave's router did not answer within ${READY_WITHIN_MS / 1000} s: ${last?.message ?? ''}`,
    `\`docker logs ${ROUTER_CONTAINER}\` says what it is doing`,
  );
}

/** `weave stop`: the router container stops and stays stopped (restart policy off); its data stays. */
export async function stopRouter(docker: Docker): Promise<void> {
  const c = await inspectContainer(docker, ROUTER_CONTAINER);
  if (c && isOurs(c)) {
    await docker.getContainer(ROUTER_CONTAINER).update({ RestartPolicy: { Name: 'no' } });
    if (c.State.Running) await docker.getContainer(ROUTER_CONTAINER).stop({ t: 10 });
  }
}

/** `weave reset`'s containers: the router and its data-only containers, with their volumes. */
export async function removeRouter(docker: Docker): Promise<void> {
  for (const name of [ROUTER_CONTAINER, DB_CONTAINER, VOLUMES_CONTAINER]) {
    const c = await inspectContainer(docker, name);
    if (c && isOurs(c)) await docker.getContainer(name).remove({ force: true, v: true });
  }
}

export async function inspectContainer(
  docker: Docker,
  name: string,
): Promise<Docker.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return undefined;
    throw err;
  }
}

/** Ours to stop or remove: created by xnet-tui, or made from Weave's image (as `weave reset` removes them). */
function isOurs(c: Docker.ContainerInspectInfo): boolean {
  return c.Config.Labels?.[LABEL] === 'weave' || /^weaveworks\/weave/.test(c.Config.Image);
}

function envPassword(env: string[] | null | undefined): string | undefined {
  const entry = env?.find((e) => e.startsWith('WEAVE_PASSWORD='));
  return entry?.slice('WEAVE_PASSWORD='.length);
}
