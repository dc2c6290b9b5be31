import type Docker from 'dockerode';
import pLimit from 'p-limit';
import { failed } from '../errors.js';
import type { ContainerInfo, ContainerSummary } from './containers.js';
import { statusText, type StateTimes } from './container-status.js';
import { followEvents, type ContainerEvent } from './events.js';

/**
 * Every container of the host, kept from docker's events: one list when the event stream connects (at start,
 * and again whenever dockerd comes back, with an inspect of each running container the outage may have
 * restarted), then one inspect per event for the container it names. Reading it asks dockerd nothing, so the
 * Containers pane of every TUI, once a second each, costs no docker call.
 */

/** What changes a container's row: its life, its name, its networks. */
const ACTIONS = ['create', 'start', 'die', 'destroy', 'rename', 'pause', 'unpause', 'connect', 'disconnect'];

interface Entry {
  id: string;
  name: string;
  image: string;
  running: boolean;
  /** Until the container is inspected: the list's STATUS text, as it was when listed. */
  listed: string;
  /** From its inspect (null until then): the PID, the network mode, the times its status is worded from. */
  pid: number;
  networkMode: string;
  state: StateTimes | null;
  /** The event stream's connection its inspect was asked under (see #epoch). */
  epoch: number;
}

interface Inspected {
  Id: string;
  Name: string;
  Config: { Image: string };
  HostConfig: { NetworkMode?: string };
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    Restarting: boolean;
    Pid: number;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
  };
}

export class ContainerCache {
  readonly #byId = new Map<string, Entry>();
  /** Per container, the latest inspect asked for: an older answer arriving later is dropped. */
  readonly #asked = new Map<string, number>();
  /** Containers an event touched while a list was under way: the list's view of them may be older. */
  #touched: Set<string> | null = null;
  #synced: Promise<void>;
  #markSynced!: () => void;
  #isSynced = false;
  /** The first list is in (its inspects may still be under way). */
  #listed = false;
  /** Why the last list failed, while none has worked yet. */
  #failure: Error | undefined;
  #stop: (() => void) | undefined;
  readonly #limit = pLimit(4);
  /** Containers with an inspect under way: what the cache holds for them may be older than dockerd's. */
  readonly #inFlight = new Set<string>();
  /** Bumped each time the event stream connects; an entry inspected under an older one may have missed events. */
  #epoch = 0;
  /** The event stream is up: no event is being missed. */
  #streaming = false;
  /** Docker API calls made, by kind (the stream itself not counted): for tests and the log. */
  readonly calls = { list: 0, inspect: 0 };

  constructor(private readonly d: { docker: Docker; log: (msg: string) => void }) {
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
  }

  /**
   * Resolves once the first list is in and every container it showed is inspected (PID, network mode, status
   * times), so a read right after start sees attached containers as they are, not as unknown. A caller before
   * that waits at most `waitMs`: past it, a list that is in is enough (a container not inspected yet shows its
   * listed status, its attachment as stopped); with no list it rejects with dockerd's error, as a list would.
   */
  async ready(waitMs = 2_000): Promise<void> {
    if (this.#isSynced) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#synced,
      new Promise((resolve) => (timer = setTimeout(resolve, this.#failure && !this.#listed ? 0 : waitMs))),
    ]);
    clearTimeout(timer);
    if (!this.#isSynced && !this.#listed)
      throw failed(
        this.#failure
          ? `dockerd did not list its containers: ${this.#failure.message}`
          : 'dockerd has not listed its containers yet',
        'check that dockerd runs and answers (`xnet-tui status`); the agent lists again as soon as it does',
      );
  }

  start(): void {
    this.#stop = followEvents(
      this.d.docker,
      { type: ['container', 'network'], event: ACTIONS },
      (e) => this.#onEvent(e),
      () => undefined,
      (msg) => this.d.log(`container cache: ${msg}`),
      // Subscribed first, listed after: nothing that happens in between is missed.
      () => {
        this.#epoch++;
        this.#streaming = true;
        void this.#resync();
      },
      () => (this.#streaming = false),
    );
  }

  stop(): void {
    this.#stop?.();
  }

  /** Every container, as `docker ps -a` would say it now. */
  summaries(now = Date.now()): ContainerSummary[] {
    return [...this.#byId.values()].map((e) => ({
      id: e.id,
      name: e.name,
      running: e.running,
      status: e.state ? statusText(e.state, now) : e.listed,
      image: e.image,
    }));
  }

  /** One container by ID, with its PID once inspected; undefined when unknown (or not inspected yet). */
  info(id: string): ContainerInfo | undefined {
    const e = this.#byId.get(id);
    if (!e?.state) return undefined;
    return {
      id: e.id,
      name: e.name,
      running: e.running,
      status: e.state.status,
      pid: e.pid,
      networkMode: e.networkMode,
      image: e.image,
    };
  }

  /**
   * A container by name, full or short ID (12 characters or more), as `findContainer` finds it, without a
   * docker call. Undefined when the cache cannot say (unknown, not inspected yet, or an event for it still
   * being read). A container whose `start` event is in flight reads as before it.
   */
  find(ref: string): ContainerInfo | undefined {
    const all = [...this.#byId.values()];
    // dockerd's order: the ID, then the name, then an ID prefix.
    const e =
      this.#byId.get(ref) ??
      all.find((x) => x.name === ref) ??
      all.find((x) => ref.length >= 12 && x.id.startsWith(ref));
    if (!e || this.#inFlight.has(e.id)) return undefined;
    return this.info(e.id);
  }

  /**
   * `find`, only for a container inspected since the event stream last connected, while it is still up:
   * nothing that changed it since can have been missed (across an outage a restarted container lists the
   * same and keeps its old PID here). Attach takes a running container from here, else asks dockerd.
   */
  findFresh(ref: string): ContainerInfo | undefined {
    if (!this.#streaming) return undefined;
    const c = this.find(ref);
    return c && this.#byId.get(c.id)?.epoch === this.#epoch ? c : undefined;
  }

  #onEvent(e: ContainerEvent): void {
    this.#touched?.add(e.id);
    if (e.action === 'destroy') {
      this.#asked.set(e.id, (this.#asked.get(e.id) ?? 0) + 1);
      this.#byId.delete(e.id);
      this.#inFlight.delete(e.id);
      return;
    }
    void this.#inspect(e.id);
  }

  async #inspect(id: string): Promise<void> {
    const epoch = this.#epoch;
    const n = (this.#asked.get(id) ?? 0) + 1;
    this.#asked.set(id, n);
    this.calls.inspect++;
    this.#inFlight.add(id);
    try {
      const c = (await this.d.docker.getContainer(id).inspect()) as unknown as Inspected;
      if (this.#asked.get(id) !== n) return;
      const s = c.State;
      this.#byId.set(id, {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        running: s.Running && s.Pid > 0,
        listed: '',
        pid: s.Pid,
        networkMode: c.HostConfig.NetworkMode ?? 'default',
        state: {
          status: s.Status,
          running: s.Running,
          paused: s.Paused,
          restarting: s.Restarting,
          exitCode: s.ExitCode,
          startedAt: s.StartedAt,
          finishedAt: s.FinishedAt,
        },
        epoch,
      });
    } catch (err) {
      if (this.#asked.get(id) !== n) return;
      // Gone between the event and the inspect: as good as destroyed.
      if ((err as { statusCode?: number }).statusCode === 404) this.#byId.delete(id);
      else this.d.log(`container cache: inspect ${id.slice(0, 12)}: ${(err as Error).message}`);
    } finally {
      if (this.#asked.get(id) === n) this.#inFlight.delete(id);
    }
  }

  /** A running container inspected again after an outage; says so when it was restarted meanwhile. */
  async #recheck(before: Entry): Promise<void> {
    await this.#inspect(before.id);
    const after = this.#byId.get(before.id);
    if (after?.state && (after.pid !== before.pid || after.state.startedAt !== before.state?.startedAt))
      this.d.log(
        `container cache: ${after.name} restarted while docker's events were down (PID ${before.pid} -> ${after.pid})`,
      );
  }

  /** One list; what it shows new or changed is inspected (a few at a time), what it lacks is dropped. */
  async #resync(): Promise<void> {
    const touched = new Set<string>();
    this.#touched = touched;
    try {
      this.calls.list++;
      const list = await this.d.docker.listContainers({ all: true });
      const seen = new Set(list.map((c) => c.Id));
      for (const id of [...this.#byId.keys()]) if (!seen.has(id) && !touched.has(id)) this.#byId.delete(id);
      const changed: string[] = [];
      const rechecked: Entry[] = [];
      for (const c of list) {
        if (touched.has(c.Id)) continue;
        const e = this.#byId.get(c.Id);
        const running = c.State === 'running';
        if (e?.state && e.running === running && e.state.status === c.State) {
          // Restarted while the stream was down, a container lists as it did (running) with a new PID: only
          // its inspect tells (State.StartedAt, Pid), so each running one seen before the outage is asked again.
          if (running && e.epoch !== this.#epoch) rechecked.push(e);
          continue;
        }
        this.#byId.set(c.Id, {
          id: c.Id,
          name: (c.Names[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
          image: c.Image,
          running,
          listed: c.Status,
          pid: 0,
          networkMode: c.HostConfig?.NetworkMode ?? 'default',
          state: null,
          epoch: this.#epoch,
        });
        changed.push(c.Id);
      }
      this.#listed = true;
      this.#failure = undefined;
      // Read as not settled until asked again (find, the health watch), so an old PID never reads as drift.
      for (const e of rechecked) this.#inFlight.add(e.id);
      await Promise.all([
        ...changed.map((id) => this.#limit(() => this.#inspect(id))),
        ...rechecked.map((e) => this.#limit(() => this.#recheck(e))),
      ]);
      this.#isSynced = true;
      this.#markSynced();
    } catch (err) {
      // dockerd went away again: the stream's reconnect lists once more.
      this.#failure = err as Error;
      this.d.log(`container cache: listing containers: ${(err as Error).message}`);
    } finally {
      if (this.#touched === touched) this.#touched = null;
    }
  }
}
