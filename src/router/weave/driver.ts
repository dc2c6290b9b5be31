// The weave RouterDriver, launch/reset and connect/forget side by side; the router's container in Docker
// (runner.ts), its HTTP API, its report, status mapping and container specs are in their own files.
import type Docker from 'dockerode';
import ipaddr from 'ipaddr.js';
import { badInput } from '../../errors.js';
import { ensurePulled, logTail } from '../../docker/images.js';
import { removeBridge } from '../../net/bridge.js';
import { ipBatch, link } from '../../net/ip.js';
import type {
  AttachPoint,
  ConnectionStatus,
  DriverDeps,
  LaunchSettings,
  PeerStatus,
  RouterDriver,
  RouterStatus,
} from '../driver.js';
import { findUnderlay } from '../underlay.js';
import { readPasswordFile } from '../password.js';
import { WeaveApi } from './api.js';
import { DATAPATH, ROUTER_CONTAINER, WEAVE_BRIDGE, WEAVE_IMAGE } from './container.js';
import type { WeaveReport } from './report.js';
import { removeRouter, startRouter, stopRouter } from './runner.js';
import { connectionStatus, ipamStatus, peerStatuses, WEAVE_PORT } from './status.js';

/** Weave's default MTU for fastdp (its bridge has this until the router says otherwise). */
const WEAVE_MTU = 1376;
/** Devices Weave's router creates beside its bridge; `weave reset` removes them all. */
const WEAVE_LINKS = [WEAVE_BRIDGE, DATAPATH, 'vethwe-bridge', 'vethwe-datapath', 'vxlan-6784'];

export interface WeaveDeps extends DriverDeps {
  docker: Docker;
  api?: WeaveApi;
}

/**
 * Weave Net as a driver: the router runs in Docker exactly as `weave launch` runs it, and everything after that
 * goes through its HTTP API. The agent owns no Weave process: the container outlives the agent, as Weave's does.
 */
export class WeaveDriver implements RouterDriver {
  readonly name = 'weave' as const;
  readonly #api: WeaveApi;
  #settings: LaunchSettings | undefined;
  #mtu: number | undefined;
  #underlayMtu: number | null = null;
  #warnings: string[] = [];
  #pendingSince = new Map<string, number>();
  /** Moved by stop, reset and close: a status read plans the probe loops only if it has not moved since it began. */
  #probeEpoch = 0;

  constructor(private readonly d: WeaveDeps) {
    this.#api = d.api ?? new WeaveApi();
  }

  get #docker(): Docker {
    return this.d.docker;
  }

  /** Weave's own launch rules, before anything is touched: the range must be a network, and the image at hand. */
  async check(settings: LaunchSettings): Promise<string[]> {
    const [net, len] = ipaddr.IPv4.parseCIDR(settings.range);
    const network = ipaddr.IPv4.networkAddressFromCIDR(settings.range).toString();
    if (net.toString() !== network)
      throw badInput(
        'range',
        `${settings.range} is not a network address: Weave's allocation range needs the bits after /${len} zero`,
        `use --range ${network}/${len}`,
      );
    if (len > 30)
      throw badInput(
        'range',
        `${settings.range} is too small for Weave's allocator (at least 4 addresses)`,
        'use /30 or larger, e.g. --range 10.32.0.0/12',
      );
    await ensurePulled(this.#docker, WEAVE_IMAGE);
    return [];
  }

  async launch(settings: LaunchSettings): Promise<void> {
    this.#settings = settings;
    this.#warnings = [];
    const password = settings.passwordFile ? await readPasswordFile(settings.passwordFile) : undefined;
    const keep = await startRouter(this.#docker, this.#api, settings, password, this.#warnings);
    // A router that was kept has its own peer list: tell it ours (Weave ignores targets it already has).
    if (keep && settings.peers.length > 0) await this.#api.connect(settings.peers);
    this.#underlayMtu = await findUnderlay(this.d.netns, settings.listen).then(
      (u) => u.mtu,
      () => null,
    );
    const bridge = await link(this.d.netns, WEAVE_BRIDGE);
    if (bridge) {
      this.#mtu = bridge.mtu;
      await this.d.onMtu(bridge.mtu);
    }
  }

  async connect(peers: string[]): Promise<ConnectionStatus[]> {
    await this.#api.connect(peers);
    const report = await this.#api.report();
    const ctx = this.#context(report, []);
    return peers.map((peer) => {
      const c = report.Router.Connections.find(
        (x) => x.Address === peer || x.Address === `${peer}:${WEAVE_PORT}`,
      );
      return c
        ? connectionStatus(c, report, ctx)
        : {
            target: peer,
            state: 'connecting',
            error: null,
            reason: 'Weave took the target; first attempt soon',
          };
    });
  }

  async forget(peers: string[]): Promise<void> {
    if (peers.length > 0) await this.#api.forget(peers);
  }

  /** `weave stop`: the router container stops and stays stopped (restart policy off); its data stays. */
  async stop(): Promise<void> {
    this.#endProbes();
    await stopRouter(this.#docker);
    this.#pendingSince.clear();
  }

  /**
   * `weave reset`: the router hands its address ranges to the other peers (DELETE /peer), then the router and its
   * data-only containers go, with the bridge, the datapath and their veths.
   */
  async reset(): Promise<void> {
    this.#endProbes();
    await this.#api.leave().catch(() => undefined);
    await removeRouter(this.#docker);
    for (const dev of WEAVE_LINKS.filter((l) => l !== WEAVE_BRIDGE))
      if (await link(this.d.netns, dev))
        await ipBatch(this.d.netns, [`link del ${dev}`]).catch(() => undefined);
    // The bridge last, with the forwarding rule attach may have added for it (the veths went with the datapath).
    await removeBridge(this.d.netns, WEAVE_BRIDGE);
    this.#settings = undefined;
    this.#mtu = undefined;
    this.#pendingSince.clear();
  }

  attachPoint(): AttachPoint {
    return { bridge: WEAVE_BRIDGE, mtu: this.#mtu ?? WEAVE_MTU };
  }

  /** Weave's IPAM answers "who holds this address" itself, when attach claims it. */
  async addressOwner(): Promise<undefined> {
    return undefined;
  }

  /** `weave attach CIDR`: each address claimed in IPAM for the container; a refusal undoes the claims before it. */
  async claim(containerId: string, cidrs: string[]): Promise<void> {
    const done: string[] = [];
    try {
      for (const cidr of cidrs) {
        await this.#api.claim(containerId, cidr);
        done.push(cidr);
      }
    } catch (err) {
      await this.release(containerId, done).catch(() => undefined);
      throw err;
    }
  }

  async release(containerId: string, cidrs: string[]): Promise<void> {
    for (const cidr of cidrs) await this.#api.release(containerId, cidr.split('/')[0]!);
  }

  /** Only our probe loops stop: the router is a container that outlives the agent. */
  async close(): Promise<void> {
    this.#endProbes();
  }

  /**
   * The host's probe loops, from the weave bridge (host namespace) to every peer's bridge link-local, across
   * Weave's data plane. Weave tells nobody of membership changes; its report, which status reads every second,
   * is where they show, so the plan follows it there (an unchanged plan keeps the loops running).
   */
  #planProbes(mtu: number | undefined, peers: readonly PeerStatus[], epoch: number): void {
    // A status read that began before a stop (its report came while the router still ran) plans nothing after it:
    // it started the loops again, and they probed a stopped router (a CI run saw both loops alive after `stop`).
    if (epoch !== this.#probeEpoch) return;
    const targets = peers.flatMap((p) => (p.probeAddress ? [p.probeAddress] : []));
    this.d.probes?.plan(
      mtu ? { point: { netns: this.d.netns, dev: WEAVE_BRIDGE }, mtu, targets } : undefined,
    );
  }

  /** Stop, reset, close: the loops end, and no status read begun before plans them again. */
  #endProbes(): void {
    this.#probeEpoch++;
    this.d.probes?.plan(undefined);
  }

  #context(report: WeaveReport, log: string[]) {
    const now = Date.now();
    const pending = new Set(
      report.Router.Connections.filter((c) => c.State === 'pending').map((c) => c.Address),
    );
    for (const a of [...this.#pendingSince.keys()]) if (!pending.has(a)) this.#pendingSince.delete(a);
    for (const a of pending) if (!this.#pendingSince.has(a)) this.#pendingSince.set(a, now);
    return { log, pendingSince: this.#pendingSince, now };
  }

  async status(): Promise<Omit<RouterStatus, 'driver' | 'state'>> {
    const s = this.#settings;
    const base = {
      nickname: s?.nickname ?? null,
      name: null,
      listen: s?.listen ?? null,
      range: s?.range ?? null,
      encrypted: Boolean(s?.passwordFile),
      bridge: { name: WEAVE_BRIDGE, mtu: this.#mtu ?? null },
      underlayMtu: this.#underlayMtu,
      peers: [],
      connections: [],
    };
    const epoch = this.#probeEpoch;
    let report: WeaveReport;
    try {
      report = await this.#api.report();
    } catch (err) {
      return { ...base, warnings: [...this.#warnings, (err as Error).message] };
    }
    // The router's log says why fastdp gave way to sleeve; read it only when a connection is on sleeve.
    const sleeve = report.Router.Connections.some(
      (c) => c.Attrs.name === 'sleeve' || /\bsleeve\b/.test(c.Info),
    );
    const log = sleeve ? await logTail(this.#docker, ROUTER_CONTAINER, 500).catch(() => []) : [];
    const ctx = this.#context(report, log);
    const bridge = await link(this.d.netns, WEAVE_BRIDGE);
    if (bridge) this.#mtu = bridge.mtu;
    const peers = peerStatuses(report, ctx);
    this.#planProbes(bridge?.mtu, peers, epoch);
    return {
      ...base,
      nickname: report.Router.NickName,
      name: report.Router.Name,
      range: report.IPAM?.Range ?? base.range,
      encrypted: report.Router.Encryption,
      bridge: { name: WEAVE_BRIDGE, mtu: bridge?.mtu ?? null },
      peers,
      connections: report.Router.Connections.map((c) => connectionStatus(c, report, ctx)),
      warnings: [
        ...this.#warnings,
        ...(report.Ready === false ? ['the router reports it is not ready yet'] : []),
      ],
      ...(report.IPAM ? { details: { driver: this.name, ipam: ipamStatus(report.IPAM) } } : {}),
    };
  }
}
