import type Docker from 'dockerode';
import { badInput } from '../errors.js';
import { netnsId, netnsOfPid, type NetnsPath } from '../net/netns.js';
import { findContainer, type ContainerInfo } from '../docker/containers.js';

/**
 * The container an attach names, running and in a namespace of its own; anything else is bad input (exit 2,
 * the field named, nothing changed). Read outside attach's queue, so concurrent attaches look up together.
 * `cached` (the agent's container cache, when it holds the container fresh) spares the inspect for a running
 * container whose namespace is there and not the host's; anything else, refusals included, is dockerd's word.
 */
export async function runningContainer(
  docker: Docker,
  ref: string,
  hostNetns: NetnsPath,
  cached?: (ref: string) => ContainerInfo | undefined,
): Promise<ContainerInfo> {
  const hostNs = hostNetns ?? '/proc/self/ns/net';
  const known = cached?.(ref);
  if (known?.running && known.networkMode !== 'host') {
    // A PID gone (its restart's event on the way) or the host's namespace: dockerd answers instead.
    const ns = liveNetnsId(known.pid);
    if (ns && ns !== netnsId(hostNs)) return known;
  }
  const c = await findContainer(docker, ref);
  if (!c) throw badInput('container', `no container named "${ref}"`, '`docker ps` lists running containers');
  if (!c.running)
    throw badInput(
      'container',
      `container ${c.name} is ${c.status}, not running`,
      `start it first: docker start ${c.name}`,
    );
  if (c.networkMode === 'host' || netnsId(netnsOfPid(c.pid)) === netnsId(hostNs)) {
    throw badInput(
      'container',
      `container ${c.name} uses the host's network namespace`,
      'attach gives a container its own interface; run it without --network host',
    );
  }
  return c;
}

function liveNetnsId(pid: number): string | undefined {
  try {
    return netnsId(netnsOfPid(pid));
  } catch {
    return undefined;
  }
}
