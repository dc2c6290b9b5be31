import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type Docker from 'dockerode';
import type { ContainerRates, PmtuPeer, RatesResult } from '../api/telemetry.js';
import type { DesiredState } from '../api/state.js';
import { findContainer } from '../docker/containers.js';
import { linkCounters } from '../net/counters.js';
import { netnsOfPid, type NetnsPath } from '../net/netns.js';
import { bridgeNetns } from '../net/overlay.js';
import { containerMac, hostVethName } from '../net/veth.js';
import type { PeerCounters, RouterStatus, TunnelCounters } from '../router/driver.js';
import { findUnderlay } from '../router/underlay.js';
import { describeDriver } from '../router/descriptions.js';
import { HISTORY_SECONDS, KernelCounters } from './counters.js';
import { PingChecks, type CheckDef } from './pings.js';
import type { PeerProbes } from './peer-probes.js';
import { PathMtu } from './path-mtu.js';
import { PeerSeries } from './peer-series.js';
import { LanPorts } from './lan-ports.js';
import { driverTelemetry } from './tunnel.js';
import { PacketStops } from './stops.js';
import { LinkReadings, readingOf } from './link-readings.js';

const PINGS_EVERY_TICKS = 2;
/** The source key of the automatic checks: lines fed from the host's peer probes, no fping of their own. */
const PEERS = 'peers';

export interface TelemetryDeps {
  netns: NetnsPath;
  /** The host's peer probes (planned by the driver): automatic checks and the path MTU probe start from them. */
  probes: PeerProbes;
  store: DesiredState;
  /** The agent's state directory: its eBPF pins live in a directory named after it. */
  stateDir: string;
  docker: Docker;
  router: () => Promise<RouterStatus>;
  /** The running driver's per-peer tunnel counters, if it keeps them (ovs-gre); undefined otherwise. */
  peerCounters?: () => Promise<PeerCounters[] | undefined>;
  /** The running driver's tunnel counters on the way in (vxlan), for where a blocked peer's packets stop. */
  tunnelCounters?: () => Promise<TunnelCounters | undefined>;
  log: (msg: string) => void;
}

/**
 * Telemetry for one host: kernel counters (counting while the router runs), ping checks, path MTU probes.
 * One timer, on the second boundary, so each reading closes one second.
 */
export class Telemetry {
  readonly counters: KernelCounters;
  readonly pings: PingChecks;
  readonly stops: PacketStops;
  /** The interface counters of the last tick, for the `interfaces` method (no `ip` of its own per TUI). */
  readonly links = new LinkReadings();
  #router: RouterStatus | undefined;
  #underlay: { listen: string; dev: string } | undefined;
  readonly #peerSeries: PeerSeries;
  readonly #pmtu: PathMtu;
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #closed = false;
  // Its timer wakes the agent every `resolution` ms: at 5 ms that was 200 wake-ups a second, a third of an idle
  // agent's CPU; a stall still shows whole in maxMs at 20 ms, since it delays the sampling timer by its length.
  #loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  #loopSeconds: { t: number; p99Ms: number; maxMs: number }[] = [];
  /** Under a driver that counts every port of its bridge on the LAN (bridge). */
  readonly #lan: LanPorts;

  constructor(private readonly d: TelemetryDeps) {
    this.counters = new KernelCounters(d.netns, d.stateDir, d.log);
    this.pings = new PingChecks(d.log);
    d.probes.listen((size, p) => this.pings.feed(PEERS, p, size === 'full'));
    this.#lan = new LanPorts(d.docker, d.netns, d.log);
    this.stops = new PacketStops(d.tunnelCounters ?? (async () => undefined), d.log);
    this.#peerSeries = new PeerSeries(d.peerCounters, d.log);
    this.#pmtu = new PathMtu(d.log);
  }

  start(): void {
    this.#loop.enable();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(
      () => {
        void this.#tick()
          .catch((err: Error) => this.d.log(`telemetry: ${err.message}`))
          .finally(() => this.#schedule());
      },
      1000 - (Date.now() % 1000) + 5,
    );
  }

  async #tick(): Promise<void> {
    this.#ticks++;
    this.#loopSeconds.push({
      t: Math.floor(Date.now() / 1000) * 1000 - 1000,
      p99Ms: Math.round(this.#loop.percentile(99) / 1e4) / 100,
      maxMs: Math.round(this.#loop.max / 1e4) / 100,
    });
    if (this.#loopSeconds.length > HISTORY_SECONDS) this.#loopSeconds.shift();
    this.#loop.reset();
    // Counters first, on the second boundary, with the router as last seen (a launch or stop shows a tick
    // later): a slow router status (a Serf RPC) must not shift which second a reading closes.
    this.#router ??= await this.d.router();
    await this.#readCounters(this.#router);
    this.#router = await this.d.router();
    await this.#peerSeries.tick(this.#router);
    void this.stops.tick(this.#router, this.counters);
    if (this.#ticks % PINGS_EVERY_TICKS === 1) await this.syncChecks();
    // Which peers' full-size probes are down, only when the beat allows a probe sooner (2 s after the last).
    if (this.#pmtu.due(() => this.pings.fullSizeDown())) void this.probeMtu();
  }

  /** One reading of the kernel's counters, which closes the second that just ended. */
  async #readCounters(r: RouterStatus): Promise<void> {
    const at = Date.now();
    if (r.state !== 'running' || !r.listen) {
      const stopped = r.state === 'not-launched' ? 'the router is not launched' : `the router is ${r.state}`;
      this.#lan.stop();
      await this.counters.tick({ at, stopped, links: [], containers: [] });
      return;
    }
    if (this.#underlay?.listen !== r.listen)
      this.#underlay = { listen: r.listen, dev: (await findUnderlay(this.d.netns, r.listen)).dev };
    const plan = driverTelemetry(r, this.#underlay.dev);
    const tunnel = plan.tunnel;
    // Veths in the bridge's namespace (the overlay's), the tunnel's underlay in the host's.
    const vethNetns = this.bridgeNetns(r);
    const [links, veths] = await Promise.all([
      linkCounters(this.d.netns),
      vethNetns !== this.d.netns ? linkCounters(vethNetns) : undefined,
    ]);
    this.links.record(readingOf(at, links, veths));
    const attached = this.d.store.current.attachments.map((a) => ({
      id: a.containerId,
      hostIfname: hostVethName(a.containerId),
    }));
    const lan = plan.bridgePorts ? await this.#lan.plan(r, links, attached, at) : this.#lan.stop();
    await this.counters.tick({
      at,
      stopped: null,
      links,
      ...(veths ? { veths: { netns: vethNetns, links: veths } } : {}),
      containers: attached,
      ...(tunnel ? { tunnel: { device: tunnel.device, port: tunnel.port } } : {}),
      ...(plan.fastPath && veths ? { fast: { device: plan.fastPath.device, bridge: r.bridge.name } } : {}),
      ...lan,
    });
  }

  /** docker `start`: under a LAN driver, dockerd's port is counted from now. */
  async containerStarted(containerId: string): Promise<void> {
    await this.#lan.containerStarted(containerId, this.counters);
  }

  /** The running router's tunnel, as counting uses it (on-demand captures of a peer open its device). */
  async tunnel(): Promise<{ device: string; port: number } | undefined> {
    const r = await this.d.router();
    if (r.state !== 'running' || !r.listen) return undefined;
    const dev = (await findUnderlay(this.d.netns, r.listen)).dev;
    const t = driverTelemetry(r, dev).tunnel;
    return t && { device: t.device, port: t.port };
  }

  router(): Promise<RouterStatus> {
    return this.d.router();
  }

  /** Where the router's bridge and the containers' host-side veths are (its attach point's namespace). */
  bridgeNetns(r: RouterStatus | undefined = this.#router): NetnsPath {
    return bridgeNetns(r?.bridge.netns, this.d.netns);
  }

  rates(seconds = HISTORY_SECONDS): RatesResult {
    const now = Date.now();
    const counters = this.counters.status(now);
    const peers = (this.#router?.peers ?? []).filter((p) => !p.self);
    const others = this.#lan.otherRates(this.counters, seconds);
    return {
      at: now,
      source: counters.source,
      counters,
      historySeconds: HISTORY_SECONDS,
      bridge: this.counters.bridgeSeries(seconds),
      containers: this.#containerRates(seconds),
      peers: peers.map((p) => {
        const ebpf = this.counters.peerSeries(p.address, seconds);
        return {
          address: p.address,
          nickname: p.nickname || null,
          source: this.#peerSeries.active ? 'counters' : ebpf ? 'ebpf' : 'none',
          series: this.#peerSeries.active ? this.#peerSeries.series(p.address, seconds) : (ebpf ?? []),
        };
      }),
      ...(others ? { others } : {}),
      eventLoopDelay: this.#loopSeconds.slice(-seconds),
    };
  }

  /** Under a LAN driver every container on the bridge, dockerd's own too; the attachments in any case. */
  #containerRates(seconds: number): ContainerRates[] {
    const rows = this.#lan.containerRates(this.counters, seconds);
    for (const a of this.d.store.current.attachments) {
      if (rows.some((c) => c.containerId === a.containerId)) continue;
      rows.push({
        container: a.containerName,
        containerId: a.containerId,
        mac: containerMac(a.containerId),
        addresses: a.cidrs,
        series: this.counters.containerSeries(a.containerId, seconds),
      });
    }
    return rows;
  }

  /** The checks as wanted now: the operator's, and one per peer from the host's peer probes. */
  async checkDefs(): Promise<CheckDef[]> {
    const defs: CheckDef[] = [];
    const sources = new Map<string, CheckDef['source']>();
    const source = async (from: string | null): Promise<CheckDef['source']> => {
      if (from === null) return { key: 'host', name: null, netns: this.d.netns, error: null };
      const have = sources.get(from);
      if (have) return have;
      const c = await findContainer(this.d.docker, from).catch(() => undefined);
      const s: CheckDef['source'] = !c
        ? { key: `missing:${from}`, name: from, netns: undefined, error: `container ${from} does not exist` }
        : !c.running
          ? { key: c.id, name: c.name, netns: undefined, error: `container ${c.name} is not running` }
          : { key: c.id, name: c.name, netns: netnsOfPid(c.pid), error: null };
      sources.set(from, s);
      return s;
    };
    for (const u of this.d.store.current.pingChecks ?? []) {
      const src = await source(u.from);
      defs.push({
        id: u.id,
        kind: 'user',
        source: src,
        target: u.target,
        peer: null,
        label: `${u.from ?? 'host'} -> ${u.target}`,
      });
    }
    // One automatic check per peer, from the host's peer probes (small and full-size): never per container.
    const plan = this.d.probes.current;
    const driver = this.#router?.driver;
    const peers = (this.#router?.state === 'running' && driver ? this.#router.peers : []).filter(
      (p) => !p.self && p.probeAddress && plan?.targets.includes(p.probeAddress),
    );
    for (const p of plan ? peers : []) {
      defs.push({
        id: `a-host-${p.address}`,
        kind: 'auto',
        source: { key: PEERS, name: null, netns: plan!.point.netns, error: null, external: true },
        target: this.d.probes.scoped(p.probeAddress!),
        peer: p.address,
        label: `host -> ${p.nickname ? `peer ${p.nickname}` : 'peer'} (${p.address})`,
        full: {
          packetBytes: plan!.mtu,
          mtuToSet: () => this.#pmtu.suggested(p.address),
          driver: describeDriver(driver!),
        },
        staleMs: () => this.d.probes.staleMs,
      });
    }
    return defs;
  }

  /**
   * docker `die`: the ping checks leaving from that container end now, resolved once their fping is gone (it
   * would hold the dead container's namespace); the next sync starts them anew where the container is then.
   */
  containerDied(containerId: string): Promise<void> {
    this.#lan.containerDied(containerId);
    return this.pings.stopSource(containerId);
  }

  async syncChecks(): Promise<void> {
    this.pings.sync(await this.checkDefs());
  }

  /** The largest DF packet to every peer, from the driver's probe point (see PathMtu). */
  probeMtu(): Promise<void> {
    return this.#pmtu.probe(this.#router, this.d.probes.current, this.pings.checks());
  }

  pmtu(): { bridgeMtu: number | null; intervalMs: number; peers: PmtuPeer[] } {
    return this.#pmtu.view(this.#router);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#loop.disable();
    this.pings.close();
    await this.counters.close();
  }
}
