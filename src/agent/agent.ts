import { type Server } from 'node:net';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { rotateLogs, stderrFile } from '../log.js';
import { dockerClient } from '../docker/client.js';
import { link } from '../net/ip.js';
import { interfaceCounters } from '../net/counters.js';
import { closeAllSessions } from '../net/batch-session.js';
import { closeBpftoolSessions } from '../net/bpftool-session.js';
import { closeMapReader } from '../net/mapread.js';
import { closeSpawner } from '../net/spawner.js';
import { readingOf } from '../telemetry/link-readings.js';
import { Attacher } from './attach.js';
import { dockerdConfig, dockerdHandlers, type DockerdAgentOptions } from '../docker/config/handlers.js';
import { Mesh } from './mesh.js';
import { telemetryHandlers } from '../telemetry/handlers.js';
import { Telemetry } from '../telemetry/service.js';
import { PeerProbes } from '../telemetry/peer-probes.js';
import { rpcServer, listen, type Handlers } from './rpc.js';
import { StateStore } from './state.js';
import { EventRing } from './events/ring.js';
import { HealthWatch } from './events/watch.js';
import { gatherFacts } from '../doctor/facts.js';
import { verdicts } from '../doctor/verdicts.js';
import { BRIDGE, CONTAINER_IFNAME } from './paths.js';
import { namedNetns, overlayNetnsName } from '../net/overlay.js';
import { migrateLayout } from './migrate.js';
import { VERSION } from '../version.js';
import { ContainerCache } from '../docker/container-cache.js';
import { attachmentRows, containerRows } from './containers.js';
import { lockStateDir } from './state-lock.js';
import { followContainerLife } from './container-life.js';

export interface AgentOptions {
  socket: string;
  stateDir: string;
  dockerHost: string;
  dockerd?: DockerdAgentOptions;
  /**
   * Wait for the state directory's lock instead of refusing: a process with everything loaded that takes over
   * within milliseconds of the agent's exit (the lab's supervisor keeps one; loading alone takes ~0.4 s of CPU).
   */
  standby?: boolean;
}

export interface RunningAgent {
  stop(): Promise<void>;
}

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} xnet-agent[${process.pid}]: ${msg}\n`);
}

/**
 * Nothing an input or a library does out of band may end the agent: a stray rejection or exception (dockerode
 * once threw from a redirect it followed) is logged and the agent goes on; the request it belonged to fails.
 */
function keepRunning(): void {
  process.on('unhandledRejection', (reason) => {
    log(`unhandled rejection (kept running): ${(reason as Error)?.stack ?? String(reason)}`);
  });
  process.on('uncaughtException', (err) => {
    log(`uncaught exception (kept running): ${err.stack ?? err.message}`);
  });
}

/** The long-lived process that owns every privileged change on this host. */
export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  keepRunning();
  const lock = await lockStateDir(opts.stateDir, opts.standby ?? false, log);
  const store = new StateStore(opts.stateDir);
  await store.load();
  if (store.recovery) log(`WARNING: ${store.recovery}`);
  const docker = dockerClient(opts.dockerHost);
  // Named after the state directory: /run/netns names are global, and one machine may run several agents.
  const overlayNetns = overlayNetnsName(opts.stateDir);
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
  // One set of data-plane probes per host: the driver plans them, telemetry's automatic checks read them.
  const probes = new PeerProbes(log);
  // The mesh tells attach of MTU changes; attach asks the mesh (forAttach) for its bridge, owners and IPAM.
  const mesh = new Mesh({
    store,
    onMtu: (mtu): Promise<void> => attacher.setMtu(mtu),
    attachments: () => store.current.attachments,
    netns: undefined,
    bridge: BRIDGE,
    overlayNetns,
    onBridgeGone: () => attacher.reconcileAll(),
    stateDir: opts.stateDir,
    log,
    docker,
    dockerd,
    probes,
    // The VXLAN device deleted to be made anew: the fast path is off before its ifindex goes.
    tunnelGoing: (): Promise<void> => telemetry.counters.tunnelGoing(),
  });
  // Every container, kept from docker's events, so the Containers pane's read asks dockerd nothing (nor
  // attach's lookup of a container it holds fresh).
  const cache = new ContainerCache({ docker, log });
  const attacher: Attacher = new Attacher({
    docker,
    store,
    hostNetns: undefined,
    bridge: BRIDGE,
    overlayNetns,
    ifname: CONTAINER_IFNAME,
    log,
    router: mesh.forAttach(),
    cached: (ref) => cache.findFresh(ref),
  });
  cache.start();
  // Counting follows the router (hooks while it runs, none when it stops); pings and MTU probes too.
  const telemetry = new Telemetry({
    netns: undefined,
    probes,
    store,
    stateDir: opts.stateDir,
    docker,
    router: () => mesh.status(),
    peerCounters: () => mesh.peerCounters(),
    tunnelCounters: () => mesh.tunnelCounters(),
    log,
  });
  attacher.usePlugged((dev, netns) => telemetry.counters.hookVeth(dev, netns));
  attacher.useBeforeUp((id) => telemetry.counters.localBeforeUp(id));
  const rowsDeps = {
    cache,
    store,
    clashes: () => mesh.forAttach().clashes(),
    failures: () => attacher.reconcileFailures(),
  };

  // What clients see of the router: the driver's status, with where a blocked peer's packets stop.
  const routerStatus = async () => telemetry.stops.annotate(await mesh.status());

  const ring = new EventRing(opts.stateDir, undefined, log);
  await ring.load();
  const watch = new HealthWatch({
    ring,
    router: routerStatus,
    telemetry,
    dockerReachable: () =>
      docker.ping().then(
        () => ({ reachable: true, error: null }),
        (err: Error) => ({ reachable: false, error: err.message }),
      ),
    // From the container cache and /proc: no docker inspect per attachment every 5 s.
    ps: () => attachmentRows(rowsDeps, true),
    log,
  });

  const handlers: Handlers = {
    status: async () => {
      const point = mesh.bridgePoint();
      const [dockerVersion, bridge] = await Promise.all([
        docker.version().then(
          (v) => ({ reachable: true, version: v.Version, error: null }),
          (err: Error) => ({ reachable: false, version: null, error: err.message }),
        ),
        link(point.netns ? namedNetns(point.netns) : undefined, point.name).catch(() => undefined),
      ]);
      return {
        version: VERSION,
        pid: process.pid,
        socket: opts.socket,
        stateDir: opts.stateDir,
        dockerHost: opts.dockerHost,
        docker: dockerVersion,
        bridge: { name: point.name, present: Boolean(bridge), mtu: bridge?.mtu ?? null, netns: point.netns },
        attachments: store.current.attachments.length,
        reconcileFailures: attacher.reconcileFailures(),
        startedAt,
        stateRecovery: store.recovery,
      };
    },
    attach: (p) => attacher.attach(p.cidrs, p.container),
    detach: (p) => attacher.detach(p.cidrs, p.container),
    ps: () => attacher.ps(),
    containers: () => containerRows(rowsDeps),
    launch: (p) => mesh.launch(p),
    connect: (p) => mesh.connect(p),
    forget: (p) => mesh.forget(p),
    confirm: () => mesh.confirm(),
    rotateKey: (p) => mesh.rotateKey(p),
    stop: () => mesh.stop(),
    reset: () => mesh.reset(),
    router: routerStatus,
    // Telemetry's last reading while it reads (router running); else one reading shared by every caller.
    interfaces: () =>
      telemetry.links.latest(async () => {
        // The containers' host-side veths are in the overlay namespace (vxlan): its interfaces beside the host's.
        const { netns } = mesh.bridgePoint();
        const at = Date.now();
        const [host, overlay] = await Promise.all([
          interfaceCounters(undefined),
          netns ? interfaceCounters(namedNetns(netns)).catch(() => []) : [],
        ]);
        return readingOf(at, host, overlay);
      }),
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
          driver: r.driver,
          clocks: () => mesh.clocks(),
        }),
      );
      return { checks, ok: checks.every((c) => c.state !== 'fail'), driver: r.driver };
    },
  };

  const server: Server = await listen(opts.socket, rpcServer(handlers, log));
  log(`listening on ${opts.socket} (state ${store.file}, docker ${opts.dockerHost})`);

  const stopEvents = followContainerLife({ docker, telemetry, attacher, ring, log });
  // The layout before the overlay namespace (schema 1) is moved first: the relaunch and reconcile build the new one.
  await migrateLayout({
    store,
    hostNetns: undefined,
    bridge: BRIDGE,
    point: () => mesh.bridgePoint(),
    log,
  }).catch((err: Error) => log(`migrating to the overlay namespace: ${err.message}`));
  void attacher.reconcileAll();
  void mesh.start();
  telemetry.start();
  const ownLog = stderrFile();
  // serf.log: the serf of the vxlan or ovs-gre router, whether this agent started it or adopted it.
  const stopRotating = rotateLogs(() => [ownLog, join(opts.stateDir, 'serf.log')], log);

  watch.start();

  return {
    async stop() {
      watch.close();
      stopRotating();
      await telemetry.close();
      closeAllSessions();
      closeBpftoolSessions();
      closeMapReader();
      attacher.close();
      await mesh.close();
      probes.close();
      closeSpawner();
      stopEvents();
      cache.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await unlink(opts.socket).catch(() => undefined);
      lock.close();
      log('stopped');
    },
  };
}
