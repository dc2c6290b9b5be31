// One piece (over 300 lines): the one-second tick that reads the kernel counters and runs the probes in step,
// and the rates built from them; each part needs the tick's timing. The counters, ping checks, PMTU probes and
// the rate arithmetic already live in their own files.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type Docker from 'dockerode';
import type { PmtuPeer, RateSample, RatesResult } from '../api/telemetry.js';
import type { DesiredState } from '../api/state.js';
import { findContainer } from '../docker/containers.js';
import { linkCounters } from '../net/counters.js';
import { netnsOfPid, type NetnsPath } from '../net/netns.js';
import { enableLinkLocal } from '../net/sysctl.js';
import { namedNetns } from '../net/overlay.js';
import { containerMac, hostVethName } from '../net/veth.js';
import type { PeerCounters, RouterStatus } from '../router/driver.js';
import { findUnderlay } from '../router/underlay.js';
import { HISTORY_SECONDS, KernelCounters } from './counters.js';
import { PingChecks, type CheckDef } from './pings.js';
import { largestCrossing, pingCrosses, verdict } from './pmtu.js';
import { counterSample } from './rates.js';
import { driverTelemetry } from './tunnel.js';

export const PMTU_EVERY_MS = 10_000;
const PINGS_EVERY_TICKS = 2;

export interface TelemetryDeps {
  netns: NetnsPath;
  bridge: string;
  /** The container-side interface attach creates (`ethwe`): automatic checks leave through it. */
  ifname: string;
  store: DesiredState;
  /** The agent's state directory: its eBPF pins live in a directory named after it. */
  stateDir: string;
  docker: Docker;
  router: () => Promise<RouterStatus>;
  /** The running driver's per-peer tunnel counters, if it keeps them (ovs-gre); undefined otherwise. */
  peerCounters?: () => Promise<PeerCounters[] | undefined>;
  log: (msg: string) => void;
}

/**
 * Telemetry for one host: kernel counters (counting while the router runs), ping checks, path MTU probes.
 * One timer, on the second boundary, so each reading closes one second.
 */
export class Telemetry {
  readonly counters: KernelCounters;
  readonly pings: PingChecks;
  #router: RouterStatus | undefined;
  #underlay: { listen: string; dev: string } | undefined;
  #peerCounters: { at: number; byAddress: Map<string, PeerCounters> } | undefined;
  #peerSeries = new Map<string, RateSample[]>();
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #pmtu = new Map<string, PmtuPeer>();
  #pmtuBusy = false;
  #pmtuLast = 0;
  #closed = false;
  #loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 5 });
  #loopSeconds: { t: number; p99Ms: number; maxMs: number }[] = [];
  /** Container namespaces whose `ethwe` already has IPv6 (link-local) turned on for automatic checks. */
  #linkLocal = new Set<string>();

  constructor(private readonly d: TelemetryDeps) {
    this.counters = new KernelCounters(d.netns, d.stateDir, d.log);
    this.pings = new PingChecks(d.log);
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
    await this.#readPeerCounters(this.#router);
    if (this.#ticks % PINGS_EVERY_TICKS === 1) await this.syncChecks();
    if (Date.now() - this.#pmtuLast >= PMTU_EVERY_MS && !this.#pmtuBusy) void this.probeMtu();
  }

  /** One reading of the kernel's counters, which closes the second that just ended. */
  async #readCounters(r: RouterStatus): Promise<void> {
    const at = Date.now();
    if (r.state !== 'running' || !r.listen) {
      const stopped = r.state === 'not-launched' ? 'the router is not launched' : `the router is ${r.state}`;
      await this.counters.tick({ at, stopped, links: [], containers: [] });
      return;
    }
    if (this.#underlay?.listen !== r.listen)
      this.#underlay = { listen: r.listen, dev: (await findUnderlay(this.d.netns, r.listen)).dev };
    const tunnel = driverTelemetry(r, this.#underlay.dev).tunnel;
    // Veths in the bridge's namespace (the overlay's), the tunnel's underlay in the host's.
    const vethNetns = this.bridgeNetns(r);
    const [links, veths] = await Promise.all([
      linkCounters(this.d.netns),
      vethNetns !== this.d.netns ? linkCounters(vethNetns) : undefined,
    ]);
    await this.counters.tick({
      at,
      stopped: null,
      links,
      ...(veths ? { veths: { netns: vethNetns, links: veths } } : {}),
      containers: this.d.store.current.attachments.map((a) => ({
        id: a.containerId,
        hostIfname: hostVethName(a.containerId),
      })),
      ...(tunnel ? { tunnel: { device: tunnel.device, port: tunnel.port } } : {}),
    });
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

  /** Where the router's bridge and the containers' host-side veths are: its named namespace, or the host's. */
  bridgeNetns(r: RouterStatus | undefined = this.#router): NetnsPath {
    return r?.bridge.netns ? namedNetns(r.bridge.netns) : this.d.netns;
  }

  /** Drivers with a tunnel per peer: each second, a sample per peer from its counters. */
  async #readPeerCounters(r: RouterStatus): Promise<void> {
    let now: PeerCounters[] | undefined;
    try {
      now = r.state === 'running' ? await this.d.peerCounters?.() : undefined;
    } catch (err) {
      // One failed read (a busy ovs-vswitchd) costs that second, not the minute of history.
      this.d.log(`telemetry: peer counters: ${(err as Error).message}`);
      return;
    }
    const prev = this.#peerCounters;
    if (!now) {
      this.#peerCounters = undefined;
      this.#peerSeries.clear();
      return;
    }
    const at = Date.now();
    this.#peerCounters = { at, byAddress: new Map(now.map((c) => [c.address, c])) };
    for (const gone of [...this.#peerSeries.keys()].filter((a) => !this.#peerCounters!.byAddress.has(a)))
      this.#peerSeries.delete(gone);
    if (!prev || at - prev.at > 2_500) return;
    const t = Math.floor(at / 1000) * 1000 - 1000;
    for (const c of now) {
      const series = this.#peerSeries.get(c.address) ?? [];
      series.push(counterSample(t, prev.byAddress.get(c.address), c));
      if (series.length > HISTORY_SECONDS) series.shift();
      this.#peerSeries.set(c.address, series);
    }
  }

  rates(seconds = HISTORY_SECONDS): RatesResult {
    const now = Date.now();
    const counters = this.counters.status(now);
    const peers = (this.#router?.peers ?? []).filter((p) => !p.self);
    return {
      at: now,
      source: counters.source,
      counters,
      historySeconds: HISTORY_SECONDS,
      bridge: this.counters.bridgeSeries(seconds),
      containers: this.d.store.current.attachments.map((a) => ({
        container: a.containerName,
        containerId: a.containerId,
        mac: containerMac(a.containerId),
        addresses: a.cidrs,
        series: this.counters.containerSeries(a.containerId, seconds),
      })),
      peers: peers.map((p) => {
        const ebpf = this.counters.peerSeries(p.address, seconds);
        return {
          address: p.address,
          nickname: p.nickname || null,
          source: this.#peerCounters ? 'counters' : ebpf ? 'ebpf' : 'none',
          series: this.#peerCounters ? (this.#peerSeries.get(p.address) ?? []).slice(-seconds) : (ebpf ?? []),
        };
      }),
      eventLoopDelay: this.#loopSeconds.slice(-seconds),
    };
  }

  /** The checks as wanted now: the operator's, and each attached container to each peer's probe address. */
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
    const peers = (this.#router?.state === 'running' ? this.#router.peers : []).filter(
      (p) => !p.self && p.probeAddress,
    );
    if (peers.length > 0) {
      for (const a of this.d.store.current.attachments) {
        const src = await source(a.containerId);
        if (src.netns && !src.error && !this.#linkLocal.has(src.netns)) {
          await enableLinkLocal(src.netns, this.d.ifname).then(
            () => this.#linkLocal.add(src.netns!),
            (err: Error) => this.d.log(`ipv6 link-local on ${a.containerName}: ${err.message}`),
          );
        }
        for (const p of peers) {
          defs.push({
            id: `a-${a.containerId.slice(0, 12)}-${p.address}`,
            kind: 'auto',
            source: { ...src, name: a.containerName },
            target: `${p.probeAddress}%${this.d.ifname}`,
            peer: p.address,
            label: `${a.containerName} -> ${p.nickname ? `peer ${p.nickname}` : 'peer'} (${p.address})`,
          });
        }
      }
    }
    return defs;
  }

  /** docker `die`: the ping checks leaving from that container end now; the next sync starts them anew. */
  containerDied(containerId: string): void {
    this.pings.stopSource(containerId);
  }

  async syncChecks(): Promise<void> {
    this.pings.sync(await this.checkDefs());
  }

  /** Binary-searches the largest DF packet to every peer, all peers at once. */
  async probeMtu(): Promise<void> {
    const r = this.#router;
    const mtu = r?.bridge.mtu;
    this.#pmtuLast = Date.now();
    if (!r || r.state !== 'running' || !mtu) {
      this.#pmtu.clear();
      return;
    }
    this.#pmtuBusy = true;
    try {
      const peers = r.peers.filter((p) => !p.self);
      for (const known of this.#pmtu.keys())
        if (!peers.some((p) => p.address === known)) this.#pmtu.delete(known);
      await Promise.all(
        peers.map(async (p) => {
          const who = { peer: p.address, nickname: p.nickname || null, probeAddress: p.probeAddress ?? null };
          if (!p.probeAddress) {
            this.#pmtu.set(p.address, {
              ...who,
              pathMtu: null,
              state: 'pending',
              suggestedMtu: null,
              detail: 'the peer publishes no probe address',
              checkedAt: null,
            });
            return;
          }
          const largest = await largestCrossing(
            pingCrosses(this.bridgeNetns(r), this.d.bridge, p.probeAddress),
            mtu,
          );
          const before = this.#pmtu.get(p.address);
          const v = verdict(who, mtu, largest, new Date().toISOString());
          if (before && before.state !== v.state)
            this.d.log(
              `path MTU to ${p.address}: ${before.state} -> ${v.state}${v.detail ? ` (${v.detail})` : ''}`,
            );
          this.#pmtu.set(p.address, v);
        }),
      );
    } finally {
      this.#pmtuBusy = false;
    }
  }

  pmtu(): { bridgeMtu: number | null; intervalMs: number; peers: PmtuPeer[] } {
    const peers = (this.#router?.peers ?? []).filter((p) => !p.self);
    return {
      bridgeMtu: this.#router?.bridge.mtu ?? null,
      intervalMs: PMTU_EVERY_MS,
      peers: peers.map(
        (p) =>
          this.#pmtu.get(p.address) ?? {
            peer: p.address,
            nickname: p.nickname || null,
            probeAddress: p.probeAddress ?? null,
            pathMtu: null,
            state: 'pending',
            suggestedMtu: null,
            detail: 'not probed yet',
            checkedAt: null,
          },
      ),
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#loop.disable();
    this.pings.close();
    await this.counters.close();
  }
}
