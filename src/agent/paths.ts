/** Where things live on a host, and inside the lab. */
export const DEFAULT_SOCKET = process.env.XNET_SOCKET ?? '/run/xnet/agent.sock';
export const DEFAULT_STATE_DIR = process.env.XNET_STATE_DIR ?? '/var/lib/xnet';
export const DEFAULT_DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
export const BRIDGE = 'xnet';
export const CONTAINER_IFNAME = 'ethwe';
