import Docker from 'dockerode';
import { badInput } from '../errors.js';

/** A dockerode client for `unix:///path` or `tcp://host:port`, the forms DOCKER_HOST takes. */
export function dockerClient(hostUrl: string): Docker {
  let url: URL;
  try {
    url = new URL(hostUrl);
  } catch {
    throw badInput(
      'docker-host',
      `"${hostUrl}" is not a Docker host URL`,
      'write unix:///var/run/docker.sock or tcp://HOST:2376',
    );
  }
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
  }
  throw badInput(
    'docker-host',
    `unsupported scheme "${url.protocol}" in ${hostUrl}`,
    'use unix:// or tcp://',
  );
}
