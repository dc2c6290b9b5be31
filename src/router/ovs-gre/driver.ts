// The ovs-gre RouterDriver: launch/reset and connect/forget written side by side so each undo sits next to
// its do, and the membership that drives them. What it plans with lives beside it: layout (the plan), daemons
// (the switch), underlay, plumbing (ports and routes), dockerd (bip/mtu), record (the file reset reads back),
// status and report (what status says).
import { failed, XnetError } from '../../errors.js';
import { routes4 } from '../../net/ip.js';
import { VERSION } from '../../version.js';
import type {
  AttachPoint,
  ConnectionStatus,
  LaunchSettings,
  PeerCounters,
  RouterDriver,
  RouterStatus,
  DriverDeps,
} from '../driver.js';
import { findUnderlay, type Underlay } from '../underlay.js';
import { SerfMembership } from '../serf/membership.js';
import type { KeyRotation } from '../serf/rotate.js';
import { readPasswordFile } from '../password.js';
import type { SerfMember } from '../serf/rpc.js';
import { detectDatapath, existingSwitch, openSwitch, type OvsSwitch } from './daemons.js';
import { dockerBridgeName, giveDockerdSubnet, restoreDockerd } from './dockerd.js';
import {
  GRE_OVERHEAD,
  meshPlan,
  parseSubnet,
  probeAddresses,
  probePlan,
  refuseHeldSubnet,
  refuseRouteClash,
  toMember,
  type HostSubnet,
  type Member,
} from './layout.js';
import { ensureBridge, removeBridges, syncPorts, syncRoutes } from './plumbing.js';
import { loadSaved, removeSaved, writeSaved, type Saved } from './record.js';
import { statusReport } from './report.js';
import { StateSince } from '../peer-since.js';
import { greCounters, readOvsStatus } from './status.js';
import { checksumOffloadOff, ethtoolTx, giveBackUnderlay, takeUnderlay } from './underlay.js';

export { userspaceGreTx } from './report.js';

const RESYNC_EVERY_MS = 5_000;

/**
 * Open vSwitch + GRE, the classic recipe made reversible: an OVS bridge plugged into docker's bridge, a GRE
 * port (split horizon: `protected`, BFD on) to each peer, docker's bridge given this host's subnet through the
 * dockerd options (validation, rollback), routes to the other hosts' subnets. Peers and their subnets come from
 * Serf, as in the vxlan driver: a tag carries the subnet, so a clash is seen before anything changes.
 */
export class OvsGreDriver implements RouterDriver {
  readonly name = 'ovs-gre' as const;
  #settings: LaunchSettings | undefined;
  #subnet: HostSubnet | undefined;
  #underlay: Underlay | undefined;
  #switch: OvsSwitch | undefined;
  #dockerBridge = 'docker0';
  #mtu: number | undefined;
  #members: Member[] = [];
  /** Each routed peer's probe address: its docker bridge's (the gateway of its subnet), by its underlay address. */
  #probeAddresses = new Map<string, string>();
  #forgotten = new Set<string>();
  #skipped: string[] = [];
  #resync: NodeJS.Timeout | undefined;
  readonly #mesh: SerfMembership;
  /** Since when each member is in its gossip state, from the membership reads (BFD's state has no clock here). */
  readonly #gossipSince = new StateSince<Member['status']>();

  constructor(private readonly d: DriverDeps) {
    this.#mesh = new SerfMembership({
      stateDir: d.stateDir,
      log: d.log,
      // The gossip address, never a tag: tags are anyone's to set.
      addressOf: (m) => m.addr,
      onChange: (members) => this.#plan(members),
      transport: 'gre',
      launchHint: 'launch it first: xnet-tui launch --driver ovs-gre',
    });
  }

  get #name(): string {
    return this.#underlay?.address ?? 'unlaunched';
  }

  async launch(settings: LaunchSettings): Promise<void> {
    this.#settings = settings;
    const subnet = parseSubnet(settings.subnet);
    this.#subnet = subnet;
    if (!this.d.dockerd)
      throw failed('ovs-gre needs dockerd options support in the agent', 'run a current xnet-tui agent');
    this.#dockerBridge = await dockerBridgeName(this.d.docker);
    refuseRouteClash(subnet.subnet, await routes4(this.d.netns), this.#dockerBridge);
    const password = settings.passwordFile ? await readPasswordFile(settings.passwordFile) : undefined;
    const underlay = await findUnderlay(this.d.netns, settings.listen);
    this.#underlay = underlay;
    this.#mtu = underlay.mtu - GRE_OVERHEAD;
    const saved = await this.#load();
    this.#forgotten = new Set(saved.forgotten ?? []);
    const fresh = !saved.dockerd && !saved.underlay && !saved.txOffload;
    if ((await detectDatapath()) === 'netdev' && !saved.txOffload && !saved.underlay) {
      saved.txOffload = { dev: underlay.dev, wasOn: await checksumOffloadOff(this.d.netns, underlay.dev) };
      await this.#save(saved);
    }

    // 1. Membership first: nothing else changes until we know no peer holds this subnet.
    await this.#mesh.start({
      address: underlay.address,
      tags: {
        addr: underlay.address,
        nick: settings.nickname,
        subnet: subnet.subnet,
        driver: 'ovs-gre',
        xnet: VERSION,
      },
      ...(password ? { password } : {}),
    });
    try {
      if (settings.peers.length > 0) await this.#join(settings.peers);
      await this.#mesh.sync();
      refuseHeldSubnet(subnet.subnet, this.#name, this.#members);
      // 2. docker's bridge gets this host's subnet, through the dockerd options (validated, rolled back on failure).
      await giveDockerdSubnet({
        dockerd: this.d.dockerd,
        subnet,
        mtu: this.#mtu,
        dockerBridge: this.#dockerBridge,
        saved,
        save: (s) => this.#save(s),
        log: this.d.log,
      });
    } catch (err) {
      if (err instanceof XnetError && err.kind === 'bad_input') {
        await this.#halt(true);
        if (fresh && saved.txOffload?.wasOn) await ethtoolTx(this.d.netns, saved.txOffload.dev, 'on');
        if (fresh) await this.#forgetFiles();
      }
      throw err;
    }

    // 3. The switch, and on the userspace datapath the underlay moved onto it.
    const sw = await openSwitch(this.d.stateDir, this.d.log);
    this.#switch = sw;
    if (sw.datapath === 'netdev') {
      saved.underlay = await takeUnderlay(sw.ovs, this.d.netns, underlay, saved.underlay);
      await this.#save(saved);
    }
    // 4. The OVS bridge, plugged into docker's bridge.
    await ensureBridge(this.d.netns, sw, this.#dockerBridge, this.#mtu);
    // 5. GRE ports and routes, kept in step with the membership (and checked again now and then).
    await this.#mesh.sync();
    this.#resync = setInterval(() => void this.#mesh.sync(), RESYNC_EVERY_MS);
  }

  /** A membership change: ports and routes follow it, once the switch is up (before that, only the members). */
  async #plan(members: readonly SerfMember[]): Promise<void> {
    this.#members = members.map(toMember);
    const at = Date.now();
    for (const m of this.#members) this.#gossipSince.observe(m.name, m.status, at);
    this.#gossipSince.keep(this.#members.map((m) => m.name));
    const sw = this.#switch;
    if (!sw || !this.#subnet) return;
    const plan = meshPlan({ name: this.#name, subnet: this.#subnet.subnet }, this.#members, this.#forgotten);
    this.#skipped = plan.skipped;
    await syncPorts(sw.ovs, plan.ports, this.d.log);
    await syncRoutes(this.d.netns, this.#dockerBridge, plan.routes);
    this.#probeAddresses = probeAddresses(this.#members, plan.routes);
    this.d.probes?.plan(probePlan(this.d.netns, this.#dockerBridge, this.#mtu, this.#probeAddresses));
  }

  async #join(peers: string[]): Promise<ConnectionStatus[]> {
    const results = await this.#mesh.join(peers);
    const before = this.#forgotten.size;
    for (const r of results) this.#forgotten.delete(r.target.split(':')[0]!);
    if (this.#forgotten.size !== before) await this.#save(await this.#load());
    return results;
  }

  async connect(peers: string[]): Promise<ConnectionStatus[]> {
    const results = await this.#join(peers);
    await this.#mesh.sync();
    return results;
  }

  rotateKey(key: string): Promise<KeyRotation> {
    return this.#mesh.rotateKey(key);
  }

  /** This host stops tunnelling to PEER: its GRE port and route go, until `connect PEER` again. */
  async forget(peers: string[]): Promise<string[]> {
    const members = peers.filter((p) => this.#mesh.memberAt(p) !== undefined);
    this.#mesh.forget(peers);
    for (const p of peers) this.#forgotten.add(p.split(':')[0]!);
    await this.#save(await this.#load());
    await this.#mesh.sync();
    return members;
  }

  /** Leaves the mesh and removes the tunnels and routes; the bridges, the switch and dockerd's options stay. */
  async stop(): Promise<void> {
    await this.#halt(true);
    const ovs = this.#switch?.ovs ?? (await existingSwitch(this.d.stateDir));
    if (ovs)
      await syncPorts(ovs, [], this.d.log).catch((err: Error) => this.d.log(`ovs-gre stop: ${err.message}`));
    await syncRoutes(this.d.netns, this.#dockerBridge, []);
    this.#switch = undefined;
  }

  async close(): Promise<void> {
    await this.#halt(false);
  }

  async #halt(graceful: boolean): Promise<void> {
    clearInterval(this.#resync);
    this.#resync = undefined;
    this.#probeAddresses.clear();
    this.d.probes?.plan(undefined);
    await this.#mesh.halt(graceful);
    this.#members = [];
    this.#gossipSince.clear();
  }

  /** Removes every trace, in the reverse order of launch; works from a fresh agent too (what it needs is on disk). */
  async reset(): Promise<void> {
    await this.#halt(true);
    const saved = await this.#load();
    await removeBridges(this.d.netns, this.d.stateDir);
    if (saved.underlay) await giveBackUnderlay(this.d.netns, saved.underlay);
    if (saved.txOffload?.wasOn)
      await ethtoolTx(this.d.netns, saved.txOffload.dev, 'on').catch(() => undefined);
    await syncRoutes(this.d.netns, this.#dockerBridge, []);
    if (saved.dockerd && this.d.dockerd)
      await restoreDockerd({
        dockerd: this.d.dockerd,
        netns: this.d.netns,
        stateDir: this.d.stateDir,
        was: saved.dockerd,
        applied: saved.applied,
      });
    await this.#forgetFiles();
    this.#forgotten.clear();
    this.#settings = undefined;
  }

  /** Serf's files and connect targets, and this driver's record. */
  async #forgetFiles(): Promise<void> {
    await this.#mesh.reset();
    await removeSaved(this.d.stateDir);
  }

  #load(): Promise<Saved> {
    return loadSaved(this.d.stateDir);
  }

  /** Writes the record with the forgotten peers as they are now (whatever `s` was read with). */
  #save(s: Saved): Promise<void> {
    return writeSaved(this.d.stateDir, s, this.#forgotten);
  }

  attachPoint(): AttachPoint {
    return { bridge: this.#dockerBridge, mtu: this.#mtu ?? 1500 };
  }

  /** Containers here get docker's own addresses from this host's subnet, which no peer shares: nobody else holds them. */
  async addressOwner(): Promise<undefined> {
    return undefined;
  }

  /** Each GRE port's live counters (OpenFlow port stats), by the peer its name encodes; inner frames. */
  async peerCounters(): Promise<PeerCounters[]> {
    return this.#switch ? greCounters(this.#switch) : [];
  }

  async status(): Promise<Omit<RouterStatus, 'driver' | 'state'>> {
    const sw = this.#switch;
    const ovs = sw
      ? await readOvsStatus({
          sw,
          netns: this.d.netns,
          dockerBridge: this.#dockerBridge,
          subnet: this.#subnet?.subnet ?? null,
          members: this.#members,
        })
      : undefined;
    const r = statusReport({
      settings: this.#settings,
      underlay: this.#underlay,
      subnet: this.#subnet?.subnet ?? null,
      dockerBridge: this.#dockerBridge,
      mtu: this.#mtu,
      self: this.#name,
      members: this.#members,
      forgotten: this.#forgotten,
      probeAddresses: this.#probeAddresses,
      joins: this.#mesh.connections,
      skipped: this.#skipped,
      ovs,
    });
    const now = Date.now();
    return {
      ...r,
      peers: r.peers.map((p) => ({ ...p, gossipSince: this.#gossipSince.observe(p.name, p.gossip, now) })),
    };
  }
}
