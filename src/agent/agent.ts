import type { Server } from 'node:net';
import { unlink } from 'node:fs/promises';
import { dockerClient } from '../docker/client.js';
import { followContainerEvents } from '../docker/events.js';
import { link } from '../net/ip.js';
import { interfaceCounters } from '../net/counters.js';
import { Attacher } from './attach.js';
import { dockerdConfig, dockerdHandlers, type DockerdAgentOptions } from '../docker/config/handlers.js';
import { Mesh } from './mesh.js';
import { telemetryHandlers } from '../telemetry/handlers.js';
import { Telemetry } from '../telemetry/service.js';
import { rpcServer, listen, type Handlers } from './rpc.js';
import { StateStore } from './state.js';
import { EventRing } from './events/ring.js';
import { HealthWatch } from './events/watch.js';
import { gatherFacts } from '../doctor/facts.js';
import { verdicts } from '../doctor/verdicts.js';
import { BRIDGE, CONTAINER_IFNAME } from './paths.js';
import { VERSION } from '../version.js';

export interface AgentOptions {
  socket: string;
  stateDir: string;
  dockerHost: string;
  dockerd?: DockerdAgentOptions;
}

export interface RunningAgent {
  stop(): Promise<void>;
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} xnet-agent[${process.pid}]: ${msg}\n`);
}

/** The long-lived process that owns every privileged change on this host. */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const store = new StateStore(opts.stateDir);
  await store.load();
  const docker = dockerClient(opts.dockerHost);
  const attacher = new Attacher({
    docker,
    store,
    hostNetns: undefined,
    bridge: BRIDGE,
    ifname: CONTAINER_IFNAME,
    log,
  });
  const startedAt = new Date().toISOString();

  const dockerd = dockerdConfig({
    options: opts.dockerd ?? {},
    stateDir: opts.stateDir,
    docker,
    state: () => store.current,
    overlayBridge: BRIDGE,
    reattach: () => attacher.reconcileAll().then(() => store.current.attachments.length),
    log,
  });
  const mesh = new Mesh({
    store,
    attacher,
    netns: undefined,
    bridge: BRIDGE,
    stateDir: opts.stateDir,
    log,
    docker,
    dockerd,
  });
  attacher.useMesh((address) => mesh.meshOwner(address));
  attacher.useRouter(mesh.attachHooks());
  // Capture follows the router (started when it runs, stopped when it stops); pings and MTU probes too.
  const telemetry = new Telemetry({
    netns: undefined,
    bridge: BRIDGE,
    ifname: CONTAINER_IFNAME,
    store,
    docker,
    router: () => mesh.status(),
    peerCounters: () => mesh.peerCounters(),
    log,
  });

  const ring = new EventRing(opts.stateDir, undefined, log);
  await ring.load();
  const watch = new HealthWatch({
    ring,
    router: () => mesh.status(),
    telemetry,
    dockerReachable: () =>
      docker.ping().then(
        () => ({ reachable: true, error: null }),
        (err: Error) => ({ reachable: false, error: err.message }),
      ),
    ps: () => attacher.ps(),
    log,
  });

  const handlers: Handlers = {
    status: async () => {
      const [dockerVersion, bridge] = await Promise.all([
        docker.version().then(
          (v) => ({ reachable: true, version: v.Version, error: null }),
          (err: Error) => ({ reachable: false, version: null, error: err.message }),
        ),
        link(undefined, BRIDGE),
      ]);
      return {
        version: VERSION,
        pid: process.pid,
        socket: opts.socket,
        stateDir: opts.stateDir,
        dockerHost: opts.dockerHost,
        docker: dockerVersion,
        bridge: { name: BRIDGE, present: Boolean(bridge), mtu: bridge?.mtu ?? null },
        attachments: store.current.attachments.length,
        startedAt,
      };
    },
    attach: (p) => attacher.attach(p.cidrs, p.container),
    detach: (p) => attacher.detach(p.cidrs, p.container),
    ps: () => attacher.ps(),
    containers: () => attacher.containers(),
    launch: (p) => mesh.launch(p),
    connect: (p) => mesh.connect(p),
    forget: (p) => mesh.forget(p),
    stop: () => mesh.stop(),
    reset: () => mesh.reset(),
    router: () => mesh.status(),
    interfaces: async () => ({ at: Date.now(), interfaces: await interfaceCounters(undefined) }),
    ...telemetryHandlers({ telemetry, store, docker, netns: undefined }),
    ...dockerdHandlers(dockerd),
    events: async (p) => ({
      events: ring.since(p.since, p.limit),
      latest: ring.latest,
      capacity: ring.capacity,
    }),
    doctor: async () => {
      const r = await mesh.status();
      const checks = verdicts(
        await gatherFacts({
          netns: undefined,
          docker,
          listen: r.listen ?? store.current.router?.listen,
          routerRunning: r.state === 'running',
        }),
      );
      return { checks, ok: checks.every((c) => c.state !== 'fail') };
    },
  };

  const server: Server = await listen(opts.socket, rpcServer(handlers, log));
  log(`listening on ${opts.socket} (state ${store.file}, docker ${opts.dockerHost})`);

  const stopEvents = followContainerEvents(
    docker,
    ['start', 'destroy'],
    (e) => {
      const work =
        e.action === 'destroy' ? attacher.forgetContainer(e.id) : attacher.reconcileContainer(e.id);
      work.catch((err: Error) => log(`${e.action} ${e.id.slice(0, 12)}: ${err.message}`));
    },
    () => {
      // The events stream came back: dockerd went away (a restart, for new options) and returned.
      void ring
        .push([
          {
            level: 'warn',
            kind: 'dockerd_restarted',
            subject: 'dockerd',
            text: 'dockerd restarted (its event stream came back); attachments re-applied',
          },
        ])
        .catch(() => undefined);
      void attacher.reconcileAll();
    },
    log,
  );
  void attacher.reconcileAll();
  void mesh.start();
  telemetry.start();
  watch.start();

  return {
    async stop() {
      watch.close();
      await telemetry.close();
      await mesh.close();
      stopEvents();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(opts.socket).catch(() => undefined);
      log('stopped');
    },
  };
}
