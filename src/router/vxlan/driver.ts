import { failed } from '../../errors.js';
import { run } from '../../net/exec.js';
import { ensureOverlay, namedNetns, removeNamedNetns } from '../../net/overlay.js';
import { addrs, ipBatch, link } from '../../net/ip.js';
import { fdbBatch, fdbEntries, fdbPlan } from '../../net/fdb.js';
import { restrictVxlan, unrestrictVxlan } from '../../net/vxlan-filter.js';
import type { SerfMember } from '../serf/rpc.js';
import { VERSION } from '../../version.js';
import { findUnderlay, type Underlay } from '../underlay.js';
import type {
  AttachPoint,
  ConnectionStatus,
  LaunchSettings,
  PeerStatus,
  RouterDriver,
  RouterStatus,
  DriverDeps,
} from '../driver.js';
import { probe } from './probe.js';
import { SERF_RPC, SerfMembership } from '../serf/membership.js';
import type { KeyRotation } from '../serf/rotate.js';
import { readPasswordFile } from '../password.js';
import { VXLAN_DEV, VXLAN_PORT } from './description.js';
import { poll } from '../../poll.js';

/** "xn" in ASCII: any VNI works as long as the whole mesh agrees. */
export const VNI = 0x786e;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;
/** The query peers answer before an address is attached anywhere. */
const WHO_HAS = 'xnet-who-has';
const PROBE_EVERY_MS = 1_000;

export type VxlanDeps = DriverDeps;

interface DataPlane {
  state: PeerStatus['dataPlane']['state'];
  rttMs: number | null;
  detail: string | null;
  checkedAt: string | null;
}

/** The default mesh: kernel VXLAN moves the packets, Serf keeps the membership, we program the FDB between them. */
export class VxlanDriver implements RouterDriver {
  readonly name = 'vxlan' as const;
  #settings: LaunchSettings | undefined;
  #underlay: Underlay | undefined;
  #mtu: number | undefined;
  #dataPlane = new Map<string, DataPlane>();
  #timers: NodeJS.Timeout[] = [];
  #linkLocal: string | undefined;
  /** How many member addresses VXLAN is accepted from; undefined until the first membership sync. */
  #admitted: number | undefined;
  readonly #mesh: SerfMembership;

  constructor(private readonly d: VxlanDeps) {
    this.#mesh = new SerfMembership({
      stateDir: d.stateDir,
      log: d.log,
      // The gossip address, never a tag: any member (or a local user with serf's RPC) can set tags.
      addressOf: (m) => m.addr,
      onChange: (members) => this.#programFdb(members),
      answer: { query: WHO_HAS, reply: (address) => d.localOwner(address) ?? '' },
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

  async launch(settings: LaunchSettings): Promise<void> {
    this.#settings = settings;
    const underlay = await findUnderlay(this.d.netns, settings.listen);
    this.#underlay = underlay;
    // The operator's --mtu, never above what the underlay carries (it may have shrunk since launch).
    const mtu = Math.min(settings.mtu ?? Infinity, underlay.mtu - VXLAN_OVERHEAD);
    this.#mtu = mtu;
    await ensureOverlay({ name: this.d.overlayNetns, hostNetns: this.d.netns, bridge: this.d.bridge, mtu });
    await this.#ensureVxlan(underlay, mtu);
    await this.d.onMtu(mtu);
    this.#linkLocal = await this.#bridgeLinkLocal();

    const password = settings.passwordFile ? await readPasswordFile(settings.passwordFile) : undefined;
    await this.#mesh.start({
      address: underlay.address,
      tags: { vtep: underlay.address, nick: settings.nickname, ll: this.#linkLocal ?? '', xnet: VERSION },
      ...(password ? { password } : {}),
    });
    if (settings.peers.length > 0) await this.connect(settings.peers);
    this.#timers.push(
      setInterval(
        () => void this.#probe().catch((err: Error) => this.d.log(`probe: ${err.message}`)),
        PROBE_EVERY_MS,
      ),
    );
  }

  /**
   * Made in the host's namespace, so its UDP socket stays on the underlay (behind the XNET-VXLAN chain), then
   * moved beside the bridge, as moby's overlay driver does; one left in the host's namespace is made anew.
   */
  async #ensureVxlan(u: Underlay, mtu: number): Promise<void> {
    const existing = await link(this.#ns, VXLAN_DEV, true);
    const data = existing?.linkinfo?.info_data as { local?: string; id?: number; port?: number } | undefined;
    if (existing && data?.local === u.address && data.id === VNI && existing.mtu === mtu) {
      if (existing.master !== this.d.bridge)
        await ipBatch(this.#ns, [
          `link set ${VXLAN_DEV} master ${this.d.bridge}`,
          `link set ${VXLAN_DEV} up`,
        ]);
      return;
    }
    if (existing) await ipBatch(this.#ns, [`link del ${VXLAN_DEV}`]);
    if (await link(this.d.netns, VXLAN_DEV)) await ipBatch(this.d.netns, [`link del ${VXLAN_DEV}`]);
    await ipBatch(this.d.netns, [
      `link add ${VXLAN_DEV} mtu ${mtu} type vxlan id ${VNI} dstport ${VXLAN_PORT} local ${u.address} dev ${u.dev}`,
      `link set ${VXLAN_DEV} netns ${this.d.overlayNetns}`,
    ]);
    await ipBatch(this.#ns, [`link set ${VXLAN_DEV} master ${this.d.bridge}`, `link set ${VXLAN_DEV} up`]);
  }

  async #bridgeLinkLocal(): Promise<string | undefined> {
    const local = await poll(
      async () => {
        const [br] = await addrs(this.#ns, this.d.bridge);
        const ll = br?.addr_info.find((a) => a.family === 'inet6' && a.local.startsWith('fe80:'));
        return ll && !(ll as { tentative?: boolean }).tentative ? ll.local : undefined;
      },
      { everyMs: 100, withinMs: 4_000 },
    );
    if (local) return local;
    this.d.log(`bridge ${this.d.bridge} has no IPv6 link-local address: data-plane probes are off`);
    return undefined;
  }

  /**
   * Head-end replication: one all-zeros FDB entry per alive peer's VTEP, none for the rest. VXLAN is accepted
   * from members only: alive ones, and failed or leaving ones until Serf reaps them (a flapping member keeps
   * its traffic; one that left or was never let in does not).
   */
  async #programFdb(members: readonly SerfMember[]): Promise<void> {
    const others = members.filter((m) => m.name !== this.#name);
    const vteps = others.filter((m) => m.status === 'alive').map((m) => m.addr);
    const current = await fdbEntries(this.#ns, VXLAN_DEV);
    await fdbBatch(this.#ns, fdbPlan(VXLAN_DEV, current, vteps));
    const admitted = others
      .filter((m) => ['alive', 'failed', 'leaving'].includes(m.status))
      .map((m) => m.addr);
    await restrictVxlan(this.d.netns, VXLAN_PORT, admitted);
    this.#admitted = admitted.length;
  }

  connect(peers: string[]): Promise<ConnectionStatus[]> {
    return this.#mesh.connect(peers);
  }

  rotateKey(key: string): Promise<KeyRotation> {
    return this.#mesh.rotateKey(key);
  }

  async forget(peers: string[]): Promise<void> {
    this.#mesh.forget(peers);
  }

  async #probe(): Promise<void> {
    const peers = this.#mesh.members.filter((m) => m.name !== this.#name && m.tags.ll);
    const targets = peers.map((m) => m.tags.ll!);
    if (!this.#mtu || targets.length === 0) return;
    const [small, full] = await Promise.all([
      probe(this.#ns, this.d.bridge, targets, 56),
      probe(this.#ns, this.d.bridge, targets, this.#mtu - 48),
    ]);
    const now = new Date().toISOString();
    for (const [i, m] of peers.entries()) {
      const s = small[i]?.rttMs ?? null;
      const f = full[i]?.rttMs ?? null;
      const state: DataPlane['state'] =
        s === null ? 'unreachable' : f === null ? 'mtu-too-small' : 'reachable';
      const detail =
        state === 'unreachable'
          ? `no reply over VXLAN (UDP ${VXLAN_PORT}) from ${m.addr}`
          : state === 'mtu-too-small'
            ? `${this.#mtu}-byte packets do not cross; the path MTU to ${m.addr} is below ${this.#mtu + VXLAN_OVERHEAD}`
            : null;
      this.#dataPlane.set(m.name, { state, rttMs: s, detail, checkedAt: now });
    }
  }

  async stop(): Promise<void> {
    await this.#halt(true);
    // The bridge, the host pair and the containers' ports stay (attachments are kept); the tunnel goes.
    if (await link(this.#ns, VXLAN_DEV).catch(() => undefined))
      await ipBatch(this.#ns, [`link del ${VXLAN_DEV}`]);
    if (await link(this.d.netns, VXLAN_DEV)) await ipBatch(this.d.netns, [`link del ${VXLAN_DEV}`]);
    await unrestrictVxlan(this.d.netns, VXLAN_PORT);
    this.#admitted = undefined;
  }

  /** Lets go without leaving the mesh: serf runs on (peers see nothing) and the next agent adopts it. */
  async close(): Promise<void> {
    await this.#halt(false);
  }

  async #halt(graceful: boolean): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    await this.#mesh.halt(graceful);
    this.#dataPlane.clear();
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

  /** Asks every alive peer whether it holds `address` (a Serf query); each agent answers from its own state. */
  async addressOwner(address: string): Promise<{ peer: string; container: string } | undefined> {
    const others = this.#mesh.members.filter((m) => m.status === 'alive' && m.name !== this.#name);
    if (!this.#mesh.running || others.length === 0) return undefined;
    // Through the serf CLI: the same query sent over our RPC client never reached the other members
    // (answers and acks came only from this host), while the CLI's does; see the note in the README.
    const { stdout } = await run(
      'serf',
      ['query', `-rpc-addr=${SERF_RPC}`, '-timeout=400ms', '-format=json', WHO_HAS, address],
      { env: this.#mesh.cliEnv() },
    ).catch((err: Error) => {
      throw failed(
        `could not ask the mesh who holds ${address}: ${err.message}`,
        'try again; `xnet-tui status peers` shows the mesh',
      );
    });
    const responses = (JSON.parse(stdout) as { Responses?: Record<string, string> }).Responses ?? {};
    const answers = Object.entries(responses).map(([from, payload]) => ({ from, payload }));
    const held = answers.find((a) => a.payload && a.from !== this.#name);
    if (!held) return undefined;
    const m = this.#mesh.members.find((x) => x.name === held.from);
    return { peer: m?.tags.nick ? `${m.tags.nick} (${held.from})` : held.from, container: held.payload };
  }

  async status(): Promise<Omit<RouterStatus, 'driver' | 'state'>> {
    const peers: PeerStatus[] = this.#mesh.members.map((m) => {
      const self = m.name === this.#name;
      const dp = this.#dataPlane.get(m.name);
      return {
        name: m.name,
        nickname: m.tags.nick ?? '',
        address: m.addr,
        gossip: m.status,
        dataPlane: self
          ? { state: 'reachable', rttMs: 0, detail: 'this host', checkedAt: null }
          : m.status !== 'alive'
            ? {
                state: 'unknown',
                rttMs: null,
                detail: `gossip says ${m.status}`,
                checkedAt: dp?.checkedAt ?? null,
              }
            : (dp ?? { state: 'unknown', rttMs: null, detail: 'not probed yet', checkedAt: null }),
        self,
        probeAddress: m.tags.ll || null,
      };
    });
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
      warnings: [],
      dataPlanePolicy:
        this.#admitted === undefined
          ? `VXLAN (UDP ${VXLAN_PORT}) not restricted yet (membership not read), not encrypted`
          : `restricted to members: VXLAN (UDP ${VXLAN_PORT}) accepted from ${this.#admitted} member address(es) only; not encrypted (no ESP on this kernel)`,
    };
  }
}
