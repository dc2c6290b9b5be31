import type Docker from 'dockerode';
import { WEAVE_HTTP_ADDR } from './api.js';
import { WEAVE_PORT } from './status.js';

/** What `weave launch` of Weave Net 2.8.1 creates, by name. */
export const WEAVE_VERSION = '2.8.1';
export const WEAVE_IMAGE = `weaveworks/weave:${WEAVE_VERSION}`;
export const ROUTER_CONTAINER = 'weave';
/** Data-only container holding the router's boltdb (IPAM ring, peer name), kept across relaunches. */
export const DB_CONTAINER = 'weavedb';
/** Data-only container with weavewait's volumes, per version, as the weave script names it. */
export const VOLUMES_CONTAINER = `weavevolumes-${WEAVE_VERSION}`;
export const WEAVE_BRIDGE = 'weave';
export const DATAPATH = 'datapath';
export const STATUS_ADDR = '127.0.0.1:6782';
/** Marks the containers xnet-tui created, so relaunch and reset know them from an operator's own. */
export const LABEL = 'io.xnet.driver';

export interface RouterSpec {
  nickname: string;
  range: string;
  peers: string[];
  /** Goes into the container's environment as WEAVE_PASSWORD (the router reads it there), never argv. */
  password?: string;
  /** Host path of the docker socket the router watches (container deaths free their IPAM addresses). */
  dockerSocket?: string;
  /** Host paths that exist, so the binds below never make docker create a directory where a file belongs. */
  exists: (path: string) => boolean;
}

/** The router's arguments, as `weave launch` passes them to weaver (peers last). */
export function routerArgs(s: Pick<RouterSpec, 'nickname' | 'range' | 'peers'>): string[] {
  return [
    '--port',
    String(WEAVE_PORT),
    '--nickname',
    s.nickname,
    '--host-root=/host',
    '--weave-bridge',
    WEAVE_BRIDGE,
    '--datapath',
    DATAPATH,
    '--ipalloc-range',
    s.range,
    '--http-addr',
    WEAVE_HTTP_ADDR,
    '--status-addr',
    STATUS_ADDR,
    '--db-prefix',
    '/weavedb/weave-net',
    // weaveDNS is not something xnet-tui operates; leaving it off keeps port 53 on the docker bridge free.
    '--no-dns',
    ...s.peers,
  ];
}

/** `docker create` options for the router: host network and PID namespace, privileged, restarted always. */
export function routerContainer(s: RouterSpec): Docker.ContainerCreateOptions {
  const binds = [
    ...(s.dockerSocket ? [`${s.dockerSocket}:/var/run/docker.sock`] : []),
    ...[
      ['/etc', '/host/etc'],
      ['/var/lib/dbus', '/host/var/lib/dbus'],
      ['/lib/modules', '/lib/modules'],
      ['/run/docker/plugins', '/run/docker/plugins'],
    ]
      .filter(([host]) => s.exists(host!))
      .map(([host, inside]) => `${host}:${inside}`),
  ];
  return {
    name: ROUTER_CONTAINER,
    Image: WEAVE_IMAGE,
    Cmd: routerArgs(s),
    Env: [
      ...(s.password !== undefined ? [`WEAVE_PASSWORD=${s.password}`] : []),
      'CHECKPOINT_DISABLE=1',
      `EXEC_IMAGE=${WEAVE_IMAGE}`,
    ],
    Labels: { [LABEL]: 'weave' },
    HostConfig: {
      NetworkMode: 'host',
      PidMode: 'host',
      Privileged: true,
      RestartPolicy: { Name: 'always' },
      VolumesFrom: [DB_CONTAINER],
      Binds: binds,
    },
  };
}

/**
 * The data-only containers (`docker create`, never started): weavedb keeps the router's database, the versioned
 * weavevolumes one carries weavewait for containers the proxy starts. Weave makes them from its weavedb and
 * weaveexec images; we use the router image, so one image is all a host needs.
 */
export function volumeContainers(): Docker.ContainerCreateOptions[] {
  const dataOnly = (name: string, volumes: string[]): Docker.ContainerCreateOptions => ({
    name,
    Image: WEAVE_IMAGE,
    Entrypoint: ['/bin/false'],
    Cmd: ['data-only'],
    Labels: { weavevolumes: '', [LABEL]: 'weave' },
    Volumes: Object.fromEntries(volumes.map((v) => [v, {}])),
  });
  return [dataOnly(DB_CONTAINER, ['/weavedb']), dataOnly(VOLUMES_CONTAINER, ['/w', '/w-noop', '/w-nomcast'])];
}
