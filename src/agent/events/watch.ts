import type { Result } from '../../api/index.js';
import { addressTableOf, type AddressClash, type RouterStatus } from '../../router/driver.js';
import type { Telemetry } from '../../telemetry/service.js';
import { carryAttachments, deriveEvents, type HealthSnapshot } from './derive.js';
import type { EventRing } from './ring.js';

export interface HealthWatchDeps {
  ring: EventRing;
  router: () => Promise<RouterStatus>;
  telemetry: Telemetry;
  dockerReachable: () => Promise<{ reachable: boolean; error: string | null }>;
  ps: () => Promise<Result<'ps'>>;
  log: (msg: string) => void;
}

const EVERY_MS = 1_000;
/** Attachments are read from each container's namespace: every few seconds is enough for drift. */
const ATTACHMENTS_EVERY = 5;

function clashText(c: AddressClash): string {
  const who = (h: AddressClash['kept']): string =>
    `${h.container} on ${h.self ? 'this host' : `peer ${h.nickname || h.host} (${h.host})`}`;
  return `${c.address} kept by ${who(c.kept)} (claimed first); flagged: ${c.flagged.map(who).join(', ')}`;
}

/** Looks at this host once a second and turns what changed into events in the ring. */
export class HealthWatch {
  #prev: HealthSnapshot | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #closed = false;

  constructor(private readonly d: HealthWatchDeps) {}

  start(): void {
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      void this.tick()
        .catch((err: Error) => this.d.log(`events: ${err.message}`))
        .finally(() => this.#schedule());
    }, EVERY_MS);
  }

  async look(withAttachments: boolean): Promise<HealthSnapshot> {
    const t = this.d.telemetry;
    const [r, docker, ps] = await Promise.all([
      this.d.router(),
      this.d.dockerReachable(),
      withAttachments ? this.d.ps().catch(() => undefined) : undefined,
    ]);
    const running = r.state === 'running';
    const counters = t.rates(1).counters;
    return {
      peers: (running ? r.peers : [])
        .filter((p) => !p.self)
        .map((p) => ({
          address: p.address,
          nickname: p.nickname,
          gossip: p.gossip,
          dataPlane: p.dataPlane.state,
          detail: p.dataPlane.detail,
        })),
      checks: t.pings.states().map((c) => ({
        id: c.id,
        label: c.label,
        state: c.state,
        lossPct: c.lossPct,
        error: c.error ?? c.why ?? null,
      })),
      mtu: (running ? t.pmtu().peers : []).map((m) => ({
        peer: m.peer,
        nickname: m.nickname,
        state: m.state,
        pathMtu: m.pathMtu,
        suggestedMtu: m.suggestedMtu,
      })),
      counters: {
        failed: counters.state === 'failed' || counters.state === 'stale',
        reason: counters.reason,
      },
      docker,
      ...(ps
        ? {
            attachments: ps.attachments.map((a) => ({
              container: a.container,
              state: a.state,
              cidrs: a.cidrs,
              live: a.live,
            })),
          }
        : {}),
      driver: r.driver,
      bridgeMtu: r.bridge.mtu,
      clashes: (running ? (addressTableOf(r)?.clashes ?? []) : []).map((c) => ({
        address: c.address,
        text: clashText(c),
      })),
    };
  }

  async tick(): Promise<void> {
    const next = await this.look(this.#ticks++ % ATTACHMENTS_EVERY === 0);
    const drafts = deriveEvents(this.#prev, next);
    this.#prev = carryAttachments(this.#prev, next);
    await this.d.ring.push(drafts);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }
}
