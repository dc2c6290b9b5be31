import type Docker from 'dockerode';
import { createInterface } from 'node:readline';

export interface ContainerEvent {
  action: string;
  id: string;
}

/** One line of docker's event stream, as much of it as we read. */
interface RawEvent {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/**
 * The container an event is about: a container event's own ID; a network event's (`connect`, `disconnect`)
 * is the network's, and the container is in its attributes.
 */
export function containerOf(ev: RawEvent): string | undefined {
  if (ev.Type === 'network') return ev.Actor?.Attributes?.container;
  return ev.id ?? ev.Actor?.ID;
}

/** The longest wait between two tries to follow the events again. */
const MAX_DELAY_MS = 5_000;

/**
 * What the log says while the events cannot be followed: a reason the first time it comes, not again while it
 * repeats (a host without dockerd tried every 5 s and said so every time, in two streams, for ever), and how
 * long it lasted once they can. Pure but for `now`.
 */
export class RetryLog {
  #why: string | undefined;
  #tries = 0;
  #since = 0;

  /** A try failed for `why`; the line to log, if any. */
  failed(why: string, delayMs: number, now = Date.now()): string | undefined {
    if (this.#tries++ === 0) this.#since = now;
    if (why === this.#why) return undefined;
    this.#why = why;
    return `docker events: ${why}; reconnecting in ${delayMs} ms, then every ${MAX_DELAY_MS / 1000} s at most (said again when the reason changes)`;
  }

  /** Following again; the line to log, if any tries failed before. */
  connected(now = Date.now()): string | undefined {
    const tries = this.#tries;
    this.#tries = 0;
    this.#why = undefined;
    if (tries === 0) return undefined;
    return `docker events: following again after ${tries} failed ${tries === 1 ? 'try' : 'tries'} over ${Math.round((now - this.#since) / 1000)} s`;
  }
}

/**
 * Follows docker's container events and calls `onEvent` for each; reconnects with backoff when dockerd
 * goes away (a restart for new bridge options, say) and calls `onReconnect` so callers can catch up.
 * Returns a function that stops following.
 */
export function followContainerEvents(
  docker: Docker,
  actions: readonly string[],
  onEvent: (e: ContainerEvent) => void,
  onReconnect: () => void,
  log: (msg: string) => void,
): () => void {
  return followEvents(docker, { type: ['container'], event: [...actions] }, onEvent, onReconnect, log);
}

/**
 * The same for any filter (the container cache also wants the network's `connect` and `disconnect`): each
 * event with the container it is about; `onConnect` after every (re)connection, the first too.
 */
export function followEvents(
  docker: Docker,
  filters: { type: ('container' | 'network')[]; event: string[] },
  onEvent: (e: ContainerEvent) => void,
  onReconnect: () => void,
  log: (msg: string) => void,
  onConnect: () => void = () => undefined,
  /** The stream broke (a reconnect is under way): events until the next onConnect may be missed. */
  onLost: () => void = () => undefined,
): () => void {
  let stopped = false;
  let current: NodeJS.ReadableStream | undefined;
  let delay = 250;
  let first = true;
  const said = new RetryLog();

  const connect = async (): Promise<void> => {
    if (stopped) return;
    try {
      const stream = (await docker.getEvents({ filters })) as NodeJS.ReadableStream;
      current = stream;
      delay = 250;
      const again = said.connected();
      if (again) log(again);
      onConnect();
      if (!first) onReconnect();
      first = false;
      const lines = createInterface({ input: stream as NodeJS.ReadableStream & AsyncIterable<string> });
      lines.on('line', (line) => {
        try {
          const ev = JSON.parse(line) as RawEvent;
          const id = containerOf(ev);
          if (ev.Action && id) onEvent({ action: ev.Action, id });
        } catch {
          log(`docker events: unreadable line ${line.slice(0, 80)}`);
        }
      });
      lines.on('close', () => retry('stream closed'));
      // readline re-emits the stream's errors (ECONNRESET when dockerd restarts); unheard, they kill the agent.
      lines.on('error', (err: Error) => retry(err.message));
      stream.on('error', (err: Error) => retry(err.message));
    } catch (err) {
      retry((err as Error).message);
    }
  };
  let pending: NodeJS.Timeout | undefined;
  const retry = (why: string): void => {
    if (stopped || pending) return;
    onLost();
    const line = said.failed(why, delay);
    if (line) log(line);
    first = false;
    pending = setTimeout(() => {
      pending = undefined;
      void connect();
    }, delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  };
  void connect();
  return () => {
    stopped = true;
    if (pending) clearTimeout(pending);
    (current as unknown as { destroy?: () => void } | undefined)?.destroy?.();
  };
}
