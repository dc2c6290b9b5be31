import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';

/**
 * A unix-socket pass-through to a real dockerd that notes every HTTP request's method and path on the way:
 * how a test counts the docker API calls an agent makes. `cut()` drops every connection (as dockerd going
 * away would), so the agent's event stream has to come back; `hold()` keeps it from coming back (every new
 * connection dropped at once) until `hold(false)`: an outage of a chosen length. `slow()` holds back the requests whose line
 * matches for a while before passing them on, as a loaded dockerd answers late (the real one still answers).
 */
export interface DockerProxy {
  /** `unix://...`, for the agent's --docker-host. */
  host: string;
  /** Each request so far: "GET /v1.41/containers/json?all=1". */
  requests: string[];
  cut(): void;
  /** While on, each new connection is dropped at once (dockerd unreachable); off: passed on again. */
  hold(on?: boolean): void;
  /** Requests matching `line` ("GET /v1.41/containers/ab.../json") wait `ms` first; none: no delay. */
  slow(line?: RegExp, ms?: number): void;
  close(): Promise<void>;
}

const REQUEST_LINE = /(?:^|\r\n)(GET|POST|HEAD|PUT|DELETE) (\S+) HTTP\/1\.[01]\r\n/g;

export async function dockerProxy(path: string, dockerHost: string): Promise<DockerProxy> {
  const target = dockerHost.replace(/^unix:\/\//, '');
  const requests: string[] = [];
  const open = new Set<Socket>();
  let delay: { line: RegExp; ms: number } | undefined;
  let held = false;
  rmSync(path, { force: true });
  const server: Server = createServer((client) => {
    if (held) return void client.destroy();
    const up = createConnection(target);
    open.add(client).add(up);
    // Written in order, each chunk after the delay of the one before it.
    let queue = Promise.resolve();
    client.on('data', (d: Buffer) => {
      const lines = [...d.toString('latin1').matchAll(REQUEST_LINE)].map((m) => `${m[1]} ${m[2]}`);
      requests.push(...lines);
      const wait = delay && lines.some((l) => delay!.line.test(l)) ? delay.ms : 0;
      queue = queue
        .then(() => (wait ? new Promise((r) => setTimeout(r, wait)) : undefined))
        .then(() => void (up.destroyed || up.write(d)));
    });
    client.on('end', () => void queue.then(() => up.end()));
    up.pipe(client);
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
    slow: (line, ms = 0) => {
      delay = line && ms > 0 ? { line, ms } : undefined;
    },
    cut: () => {
      for (const s of open) s.destroy();
    },
    hold: (on = true) => {
      held = on;
    },
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
