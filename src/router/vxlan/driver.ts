import { ensureOverlay, namedNetns, removeNamedNetns } from '../../net/overlay.js';
import { AdmissionPasses } from './admission.js';
import type { NetnsPath } from '../../net/netns.js';
import type { SerfMember } from '../serf/rpc.js';
import { VERSION } from '../../version.js';
import { findUnderlay, type Underlay } from '../underlay.js';
import type {
  AddressClash,
  AttachPoint,
  ConnectionStatus,
  LaunchSettings,
  RouterDriver,
  RouterStatus,
  DriverDeps,
  MeshClocks,
  TunnelCounters,
} from '../driver.js';
import type { ProbePoint } from '../data-plane.js';
import { SerfMembership } from '../serf/membership.js';
import type { KeyRotation } from '../serf/rotate.js';
import { readPasswordFile } from '../password.js';
import { RecentKeyring } from '../serf/keyring.js';
import { ADDRESS_EVENT, MeshAddresses, VERSION_TAG } from './addresses.js';
import { addressDetails, clashView } from './table-status.js';
import { VXLAN_DEV } from './description.js';
import {
  bridgeLinkLocal,
  ensureVxlan,
  pinBridgeMac,
  removeVxlan,
  tunnelCounters,
  VXLAN_OVERHEAD,
  type DevicePlace,
  type Recreate,
} from './device.js';
import { peerStatuses } from './peer-status.js';
import { PeerClocks } from '../peer-since.js';

export { VNI, VXLAN_OVERHEAD } from './device.js';

export type VxlanDeps = DriverDeps;

/** The default mesh: kernel VXLAN moves the packets, Serf keeps the membership, we program the FDB between them. */
export class VxlanDriver implements RouterDriver {
  readonly name = 'vxlan' as const;
  #settings: LaunchSettings | undefined;
  #underlay: Underlay | undefined;
  #mtu: number | undefined;
  #linkLocal: string | undefined;
  /** Between launch and stop/close: a membership change after that must not start probes again. */
  #probing = false;
  /** The mesh-wide address table and the forwarding entries it drives; from launch to stop. */
  #addresses: MeshAddresses | undefined;
  #bridgeMac: string | undefined;
  readonly #mesh: SerfMembership;
  /** UDP 4789 from members only: eBPF's map where it loads, else a chain listing them (admission.ts). */
  readonly #admission: AdmissionPasses;
  /** Since when each peer is in its gossip and data-plane state, moved where the agent decides (peer-since.ts). */
  readonly #clocks = new PeerClocks();
  #unlisten: (() => void) | undefined;
  readonly #keyring: RecentKeyring;

  constructor(private readonly d: VxlanDeps) {
    this.#keyring = new RecentKeyring(d.stateDir);
    this.#admission = new AdmissionPasses({
      netns: d.netns,
      stateDir: d.stateDir,
      log: d.log,
      dev: () => this.#underlay?.dev,
      running: () => this.#mesh.running,
    });
    this.#mesh = new SerfMembership({
      stateDir: d.stateDir,
      log: d.log,
      // The gossip address, never a tag: any member (or a local user with serf's RPC) can set tags.
      addressOf: (m) => m.addr,
      // The probes are planned at once (a new peer's fast lane starts while its entries are written), and the
      // next membership read does not wait for the kernel: the passes take the newest members when they run.
      onChange: async (members) => {
        this.#clocks.stamp(this.#peers(members), Date.now());
        this.#clocks.keep(members.map((m) => m.name));
        const applied = this.#programFdb(members);
        this.#planProbes();
        return { applied };
      },
      events: { name: ADDRESS_EVENT, on: (payload) => this.#addresses?.notice(payload) },
      liveTags: (): Record<string, string> =>
        this.#addresses ? { [VERSION_TAG]: this.#addresses.version } : {},
      launchHint: 'launch it first: xnet-tui launch',
    });
  }

  /** The overlay namespace: bridge, VXLAN device and the containers' host-side veths live there. */
  get #ns(): string {
    return namedNetns(this.d.overlayNetns);
  }

  get #name(): string {
    return this.#underlay?.address ?? 'unlaunched';
  }

  /** Where launch makes the devices: the host's namespace for the underlay, the overlay one for the rest. */
  get #place(): DevicePlace {
    return {
      hostNetns: this.d.netns,
      overlayNetns: this.d.overlayNetns,
      ns: this.#ns,
      bridge: this.d.bridge,
    };
  }

  /** Who hears that the VXLAN device is deleted (a re-create or a stop): telemetry's fast path. */
  get #recreate(): Recreate {
    return { going: this.d.tunnelGoing, log: this.d.log };
  }

  /**
   * The one place that says where the VXLAN device lives: every command on it (link, FDB, neighbours, its miss
   * monitor) takes its namespace from here. The underlay side (UDP 4789 filter, serf) stays in d.netns.
   */
  #vxlan(): { netns: NetnsPath; dev: string } {
    return { netns: this.#ns, dev: VXLAN_DEV };
  }

  async launch(settings: LaunchSettings): Promise<void> {
    this.#settings = settings;
    this.#unlisten?.();
    this.#unlisten = this.d.probes?.listen?.((_, p) => this.#probed(p));
    const underlay = await findUnderlay(this.d.netns, settings.listen);
    this.#underlay = underlay;
    // The operator's --mtu, never above what the underlay carries (it may have shrunk since launch).
    const mtu = Math.min(settings.mtu ?? Infinity, underlay.mtu - VXLAN_OVERHEAD);
    this.#mtu = mtu;
    await ensureOverlay({ name: this.d.overlayNetns, hostNetns: this.d.netns, bridge: this.d.bridge, mtu });
    await ensureVxlan(this.#place, underlay, mtu, this.#recreate);
    await this.d.onMtu(mtu);
    this.#linkLocal = await bridgeLinkLocal(this.#place, this.d.log);
    this.#bridgeMac = await pinBridgeMac(this.#place, this.#linkLocal);
    await this.#addresses?.stop();
    this.#addresses = new MeshAddresses({
      self: underlay.address,
      keys: () => this.#keyring.keys(),
      attachments: this.d.attachments,
      members: () => this.#mesh.members,
      tell: (name, payload) => this.#mesh.tell(name, payload),
      retag: () => void this.#mesh.refreshTags(),
      vxlan: () => this.#vxlan(),
      bridge: this.d.bridge,
      probeMac: () => this.#bridgeMac,
      log: this.d.log,
    });
    await this.#addresses.start();

    const password = settings.passwordFile ? await readPasswordFile(settings.passwordFile) : undefined;
    await this.#mesh.start({
      address: underlay.address,
      tags: { vtep: underlay.address, nick: settings.nickname, ll: this.#linkLocal ?? '', xnet: VERSION },
      ...(password ? { password } : {}),
    });
    if (settings.peers.length > 0) await this.connect(settings.peers);
    this.#probing = true;
    this.#planProbes();
  }

  /**
   * Where data-plane probes leave from: the bridge, in the namespace it lives in. The one place that says so
   * (the probe loops and the path MTU probe both take it from here).
   */
  #probePoint(): ProbePoint {
    return { netns: this.#ns, dev: this.d.bridge };
  }

  /**
   * Data-plane truth: an ICMPv6 echo to each peer's bridge link-local address crosses the overlay itself
   * (bridge -> VXLAN -> underlay -> peer's VXLAN -> peer's bridge), never the underlay alone; small ones say
   * whether VXLAN carries anything, full-size ones (don't-fragment) whether the MTU holds.
   */
  #planProbes(): void {
    const targets = this.#mesh.members
      .filter((m) => m.name !== this.#name && m.tags.ll)
      .map((m) => m.tags.ll!);
    this.d.probes?.plan(
      this.#probing && this.#mtu && this.#linkLocal
        ? { point: this.#probePoint(), mtu: this.#mtu, targets }
        : undefined,
    );
  }

  /**
   * The address table follows the membership and programs the device (static entries per remote attachment,
   * head-end replication per alive peer for the rest). VXLAN is accepted
   * from members only: alive ones, and failed or leaving ones until Serf reaps them (a flapping member keeps
   * its traffic; one that left or was never let in does not).
   */
  async #programFdb(members: readonly SerfMember[]): Promise<string> {
    const others = members.filter((m) => m.name !== this.#name);
    this.#addresses?.membership(members);
    const admit = others.filter((m) => ['alive', 'failed', 'leaving'].includes(m.status)).map((m) => m.addr);
    // Side by side: the device's entries and the firewall are apart, and a new peer's probes need both (the
    // way out, and its answers let in); one after the other they were two chains of processes per join.
    const t0 = Date.now();
    const ms = (p: Promise<unknown> | undefined) => Promise.resolve(p).then(() => Date.now() - t0);
    const [device, filter] = await Promise.all([
      ms(this.#addresses?.settle()),
      ms(this.#admission.settle(admit)),
    ]);
    return `device ${device} ms, filter ${filter} ms`;
  }

  #peers(members: readonly SerfMember[]) {
    return peerStatuses(members, this.#name, (ll) => this.d.probes?.reading(ll), this.#mtu);
  }

  /** A probe line moves its peer's data-plane clock when it changes the state: when it happened, not when read. */
  #probed(p: { t: number; target: string; rttMs: number | null }): void {
    const ll = p.target.split('%')[0];
    const m = this.#mesh.members.find((x) => x.tags.ll === ll && x.name !== this.#name);
    // An answer from a peer already reachable changes nothing: in a settled mesh that is every line (50 hosts:
    // about 100 lines a second per agent), and working out the peer's status for each cost the agent CPU.
    if (!m || (p.rttMs !== null && this.#clocks.dataPlaneState(m.name) === 'reachable')) return;
    this.#clocks.stamp(this.#peers([m]), p.t);
  }

  connect(peers: string[]): Promise<ConnectionStatus[]> {
    return this.#mesh.connect(peers);
  }

  async clocks(): Promise<MeshClocks> {
    const r = await this.#mesh.clocks(this.#name);
    const nick = (name: string) => this.#mesh.members.find((m) => m.name === name)?.tags.nick ?? '';
    return { asked: r.asked, clocks: r.clocks.map((c) => ({ ...c, nickname: nick(c.name) })) };
  }

  rotateKey(key: string): Promise<KeyRotation> {
    return this.#mesh.rotateKey(key);
  }

  async forget(peers: string[]): Promise<void> {
    this.#mesh.forget(peers);
  }

  /**
   * What the kernel counted on VXLAN's way in: the device's received packets, and the firewall rules before it
   * (ours and any other that drops UDP 4789). The UDP socket and the firewall stay in the host namespace.
   */
  async tunnelCounters(): Promise<TunnelCounters | undefined> {
    return this.#underlay
      ? tunnelCounters(this.#place, this.#underlay, this.#admission.admission())
      : undefined;
  }

  async stop(): Promise<void> {
    await this.#halt(true);
    // The bridge, the host pair and the containers' ports stay (attachments are kept); the tunnel goes.
    await removeVxlan(this.#place, this.#recreate);
    await this.#admission.stop();
  }

  /** Lets go without leaving the mesh: serf runs on (peers see nothing) and the next agent adopts it. */
  async close(): Promise<void> {
    this.#admission.close();
    await this.#halt(false);
  }

  async #halt(graceful: boolean): Promise<void> {
    this.#probing = false;
    this.#unlisten?.();
    this.#unlisten = undefined;
    this.#clocks.clear();
    this.d.probes?.plan(undefined);
    await this.#addresses?.stop();
    this.#addresses = undefined;
    await this.#mesh.halt(graceful);
  }

  async reset(): Promise<void> {
    await this.stop();
    await this.#mesh.reset();
    // The namespace goes with everything in it; the agent plugs attached containers into a fresh one.
    await removeNamedNetns(this.d.overlayNetns);
    this.#settings = undefined;
    this.#mtu = undefined;
  }

  attachPoint(): AttachPoint {
    return { bridge: this.d.bridge, mtu: this.#mtu ?? 1500, netns: this.d.overlayNetns };
  }

  /**
   * Who else in the mesh holds `address`: the local table (no process, no round trip for a free address), and
   * for a held one the holder's own list, so a release still on its way does not refuse an attach.
   */
  async addressOwner(address: string): Promise<{ peer: string; container: string } | undefined> {
    const held = await this.#addresses?.confirmedOwner(address);
    if (!held) return undefined;
    const m = this.#mesh.members.find((x) => x.name === held.host);
    const peer = m?.tags.nick ? `${m.tags.nick} (${held.host})` : held.host;
    const failed =
      held.hostState === 'failed' ? ', failed in gossip; it keeps its addresses until it leaves' : '';
    return { peer: peer + failed, container: held.container };
  }

  /** This host's attachments changed (attach, detach, a destroyed container): the mesh is told. */
  attachmentsChanged(): void {
    this.#addresses?.localChanged();
  }

  clashes(): AddressClash[] {
    return this.#addresses ? clashView(this.#addresses.clashes(), this.#mesh.members, this.#name) : [];
  }

  async status(): Promise<Omit<RouterStatus, 'driver' | 'state'>> {
    const peers = this.#clocks.stamp(this.#peers(this.#mesh.members), Date.now());
    return {
      nickname: this.#settings?.nickname ?? null,
      name: this.#underlay?.address ?? null,
      listen: this.#underlay?.address ?? null,
      range: this.#settings?.range ?? null,
      encrypted: Boolean(this.#settings?.passwordFile),
      bridge: { name: this.d.bridge, mtu: this.#mtu ?? null, netns: this.d.overlayNetns },
      underlayMtu: this.#underlay?.mtu ?? null,
      peers,
      connections: this.#mesh.connections,
      ...(this.#addresses
        ? addressDetails(this.#addresses, this.#mesh.members, this.#name, this.#settings)
        : {}),
      warnings: [],
      dataPlanePolicy: this.#admission.policy(),
    };
  }
}
