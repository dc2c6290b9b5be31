import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

/**
 * A unix-socket pass-through to a real dockerd that notes every HTTP request's method and path on the way:
 * how a test counts the docker API calls an agent makes. `cut()` drops every connection (as dockerd going
 * away would), so the agent's event stream has to come back.
 */
export interface DockerProxy {
  /** `unix://...`, for the agent's --docker-host. */
  host: string;
  /** Each request so far: "GET /v1.41/containers/json?all=1". */
  requests: string[];
  cut(): void;
  close(): Promise<void>;
}

const REQUEST_LINE = /(?:^|\r\n)(GET|POST|HEAD|PUT|DELETE) (\S+) HTTP\/1\.[01]\r\n/g;

export async function dockerProxy(path: string, dockerHost: string): Promise<DockerProxy> {
  const target = dockerHost.replace(/^unix:\/\//, '');
  const requests: string[] = [];
  const open = new Set<Socket>();
  rmSync(path, { force: true });
  const server: Server = createServer((client) => {
    const up = createConnection(target);
    open.add(client).add(up);
    client.on('data', (d: Buffer) => {
      for (const m of d.toString('latin1').matchAll(REQUEST_LINE)) requests.push(`${m[1]} ${m[2]}`);
    });
    client.pipe(up).pipe(client);
    const end = () => {
      client.destroy();
      up.destroy();
      open.delete(client);
      open.delete(up);
    };
    client.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    host: `unix://${path}`,
    requests,
    cut: () => {
      for (const s of open) s.destroy();
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
