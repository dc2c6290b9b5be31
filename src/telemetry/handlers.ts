import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import type { Handlers } from '../api/index.js';
import type { PingResult } from '../api/telemetry.js';
import type { DesiredState } from '../api/state.js';
import { findContainer } from '../docker/containers.js';
import { badInput } from '../errors.js';
import { run } from '../net/exec.js';
import { inNetns, netnsOfPid, type NetnsPath } from '../net/netns.js';
import { round } from './check-state.js';
import { parseTarget } from './target.js';
import { parseFpingCounts } from './fping.js';
import { INTERVAL_MS } from './pings.js';
import { captureOnDemand } from './ondemand.js';
import { CaptureSessions } from './capture-sessions.js';
import type { Telemetry } from './service.js';

export { parseTarget };

type TelemetryMethod =
  | 'rates'
  | 'pings'
  | 'pings.add'
  | 'pings.remove'
  | 'ping'
  | 'pmtu'
  | 'capture'
  | 'capture.open'
  | 'capture.read'
  | 'capture.close';

export interface TelemetryHandlerDeps {
  telemetry: Telemetry;
  store: DesiredState;
  docker: Docker;
  netns: NetnsPath;
}

/** The namespace probes leave from: the host's, or a running container's. Refuses an unknown or stopped one. */
async function sourceNetns(
  d: TelemetryHandlerDeps,
  from: string | undefined,
): Promise<{ name: string | null; netns: NetnsPath }> {
  if (from === undefined) return { name: null, netns: d.netns };
  const c = await findContainer(d.docker, from);
  if (!c)
    throw badInput(
      'from',
      `no container "${from}" on this host`,
      '`docker ps` lists them; omit --from to ping from the host',
    );
  if (!c.running)
    throw badInput(
      'from',
      `container ${c.name} is not running (${c.status})`,
      `start it first: docker start ${c.name}`,
    );
  if (c.networkMode === 'host')
    throw badInput(
      'from',
      `container ${c.name} shares the host's network`,
      'omit --from: it is the same as pinging from the host',
    );
  return { name: c.name, netns: netnsOfPid(c.pid) };
}

export function telemetryHandlers(d: TelemetryHandlerDeps): Pick<Handlers, TelemetryMethod> {
  const t = d.telemetry;
  const onDemand = {
    store: d.store,
    router: () => t.router(),
    tunnel: () => t.tunnel(),
    vethNetns: async () => t.bridgeNetns(await t.router()),
    containerNetns: async (id: string) => {
      const c = await findContainer(d.docker, id);
      return c?.running ? netnsOfPid(c.pid) : undefined;
    },
  };
  // Their processes end with the agent too: each exits when its IPC channel to the agent closes.
  const live = new CaptureSessions(onDemand);
  return {
    rates: async (p) => t.rates(p.seconds),
    pings: async () => ({ intervalMs: INTERVAL_MS, checks: t.pings.checks(), events: t.pings.events() }),
    'pings.add': async (p) => {
      const target = parseTarget(p.target);
      const src = await sourceNetns(d, p.from);
      const id = `u-${createHash('sha256')
        .update(`${src.name ?? ''}\0${target}`)
        .digest('hex')
        .slice(0, 12)}`;
      let created = false;
      await d.store.update((s) => {
        const checks = s.pingChecks ?? [];
        created = !checks.some((c) => c.id === id);
        const check = { id, target, from: src.name, since: new Date().toISOString() };
        return created ? { ...s, pingChecks: [...checks, check] } : s;
      });
      await t.syncChecks();
      return { check: t.pings.check(id)!, created };
    },
    'pings.remove': async (p) => {
      const checks = d.store.current.pingChecks ?? [];
      if (!checks.some((c) => c.id === p.id)) {
        if (t.pings.check(p.id)?.kind === 'auto')
          throw badInput(
            'id',
            `${p.id} is an automatic check`,
            'automatic checks follow attachments and peers; detach or forget instead',
          );
        return { removed: false };
      }
      await d.store.update((s) => ({ ...s, pingChecks: (s.pingChecks ?? []).filter((c) => c.id !== p.id) }));
      await t.syncChecks();
      return { removed: true };
    },
    ping: async (p) => {
      const targets = p.targets.map(parseTarget);
      const src = await sourceNetns(d, p.from);
      const count = p.count ?? 3;
      const interval = p.intervalMs ?? 200;
      const [file, args] = inNetns(src.netns, 'fping', [
        '-q',
        '-C',
        String(count),
        '-p',
        String(interval),
        '-t',
        '1000',
        ...targets,
      ]);
      // fping exits 1 when any probe was lost and 2 when a target does not resolve; the summary says which.
      const out = await run(file, args, { timeoutMs: count * interval + 10_000 }).catch(
        (err: { stderr?: string }) => ({ stdout: '', stderr: err.stderr ?? '' }),
      );
      const counts = parseFpingCounts(out.stderr);
      return {
        from: src.name,
        results: targets.map((target): PingResult => {
          const rtts = counts.get(target) ?? new Array<null>(count).fill(null);
          const got = rtts.filter((r): r is number => r !== null);
          return {
            target,
            sent: rtts.length,
            received: got.length,
            lossPct: rtts.length ? round(((rtts.length - got.length) / rtts.length) * 100) : 100,
            rttMs: got.length
              ? {
                  min: Math.min(...got),
                  avg: round(got.reduce((a, b) => a + b, 0) / got.length, 3),
                  max: Math.max(...got),
                }
              : null,
            rtts,
          };
        }),
      };
    },
    pmtu: async () => t.pmtu(),
    capture: (p) => captureOnDemand(onDemand, p),
    'capture.open': (p) => live.open(p),
    'capture.read': async (p) => live.read(p),
    'capture.close': (p) => live.close(p),
  };
}
