import type Docker from 'dockerode';

export interface ContainerInfo {
  id: string;
  name: string;
  running: boolean;
  status: string;
  pid: number;
  networkMode: string;
  image: string;
}

function statusCode(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

/** Looks a container up by name, full or short ID; undefined when docker does not know it. */
export async function findContainer(docker: Docker, ref: string): Promise<ContainerInfo | undefined> {
  try {
    const c = await docker.getContainer(ref).inspect();
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ''),
      running: c.State.Running && c.State.Pid > 0,
      status: c.State.Status,
      pid: c.State.Pid,
      networkMode: c.HostConfig.NetworkMode ?? 'default',
      image: c.Config.Image,
    };
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

export interface ContainerSummary {
  id: string;
  name: string;
  running: boolean;
  status: string;
  image: string;
}

export async function listContainers(docker: Docker): Promise<ContainerSummary[]> {
  const list = await docker.listContainers({ all: true });
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
    running: c.State === 'running',
    status: c.Status,
    image: c.Image,
  }));
}
