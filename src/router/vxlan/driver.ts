import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { failed } from '../../errors.js';
import { run } from '../../net/exec.js';
import { ensureBridge } from '../../net/bridge.js';
import { addrs, ipBatch, link } from '../../net/ip.js';
import { fdbBatch, fdbEntries, fdbPlan } from '../../net/fdb.js';
import type { DriverDeps } from '../registry.js';
import { VERSION } from '../../version.js';
import { findUnderlay, type Underlay } from '../underlay.js';
import type {
  AttachPoint,
  ConnectionStatus,
  LaunchSettings,
  PeerStatus,
  RouterDriver,
  RouterStatus,
} from '../driver.js';
import { probe } from './probe.js';
import { SERF_PORT, SerfProcess, killStaleSerf, readPasswordFile } from './serf.js';
import { SerfRpc, type SerfMember } from './serf-rpc.js';

export const VXLAN_DEV = 'xnet-vx';
export const VXLAN_PORT = 4789;
/** "xn" in ASCII: any VNI works as long as the whole mesh agrees. */
export const VNI = 0x786e;
/** Outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;
const SERF_RPC = '127.0.0.1:7373';
/** The query peers answer before an address is attached anywhere. */
const WHO_HAS = 'xnet-who-has';
const PROBE_EVERY_MS = 1_000;
const RETRY_EVERY_MS = 3_000;

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
  #serf: SerfProcess | undefined;
  #rpc: SerfRpc | undefined;
  #members: SerfMember[] = [];
  #dataPlane = new Map<string, DataPlane>();
  #connections = new Map<string, ConnectionStatus>();
  #timers: NodeJS.Timeout[] = [];
  #syncing: Promise<void> = Promise.resolve();
  #linkLocal: string | undefined;

  constructor(private readonly d: VxlanDeps) {}

  get #name(): string {
    return this.#underlay?.address ?? 'unlaunched';
  }

  async launch(settings: LaunchSettings): Promise<void> {
    this.#settings = settings;
    const underlay = await findUnderlay(this.d.netns, settings.listen);
    this.#underlay = underlay;
    const mtu = underlay.mtu - VXLAN_OVERHEAD;
    this.#mtu = mtu;
    await ensureBridge(this.d.netns, this.d.bridge, mtu);
    await this.#ensureVxlan(underlay, mtu);
    await this.d.onMtu(mtu);
    this.#linkLocal = await this.#bridgeLinkLocal();

    const password = settings.passwordFile ? await readPasswordFile(settings.passwordFile) : undefined;
    await killStaleSerf(this.d.stateDir);
    this.#serf = new SerfProcess({
      name: underlay.address,
      bind: underlay.address,
      rpcAddr: SERF_RPC,
      stateDir: this.d.stateDir,
      tags: { vtep: underlay.address, nick: settings.nickname, ll: this.#linkLocal ?? '', xnet: VERSION },
      ...(password ? { password } : {}),
      log: this.d.log,
    });
    this.#serf.onStart = () => void this.#follow().catch((err: Error) => this.d.log(`serf: ${err.message}`));
    await this.#serf.start();
    await this.#follow();
    if (settings.peers.length > 0) await this.connect(settings.peers);
    this.#timers.push(
      setInterval(
        () => void this.#probe().catch((err: Error) => this.d.log(`probe: ${err.message}`)),
        PROBE_EVERY_MS,
      ),
      setInterval(() => void this.#retryJoins(), RETRY_EVERY_MS),
    );
  }

  async #ensureVxlan(u: Underlay, mtu: number): Promise<void> {
    const existing = await link(this.d.netns, VXLAN_DEV, true);
    const data = existing?.linkinfo?.info_data as { local?: string; id?: number; port?: number } | undefined;
    if (existing && data?.local === u.address && data.id === VNI && existing.mtu === mtu) return;
    await ipBatch(this.d.netns, [
      ...(existing ? [`link del ${VXLAN_DEV}`] : []),
      `link add ${VXLAN_DEV} mtu ${mtu} type vxlan id ${VNI} dstport ${VXLAN_PORT} local ${u.address} dev ${u.dev}`,
      `link set ${VXLAN_DEV} master ${this.d.bridge}`,
      `link set ${VXLAN_DEV} up`,
    ]);
  }

  async #bridgeLinkLocal(): Promise<string | undefined> {
    for (let i = 0; i < 40; i++) {
      const [br] = await addrs(this.d.netns, this.d.bridge);
      const ll = br?.addr_info.find((a) => a.family === 'inet6' && a.local.startsWith('fe80:'));
      if (ll && !(ll as { tentative?: boolean }).tentative) return ll.local;
      await new Promise((r) => setTimeout(r, 100));
    }
    this.d.log(`bridge ${this.d.bridge} has no IPv6 link-local address: data-plane probes are off`);
    return undefined;
  }

  /** Connects to serf's RPC and follows member events; each event re-syncs the FDB to the membership. */
  async #follow(): Promise<void> {
    this.#rpc?.close();
    const rpc = await SerfRpc.connect(SERF_RPC);
    this.#rpc = rpc;
    if (this.#serf?.pid) await writeFile(join(this.d.stateDir, 'serf.pid'), String(this.#serf.pid));
    rpc.onClose = () => {
      if (this.#rpc !== rpc) return;
      this.#rpc = undefined;
      // Serf still running but the connection dropped: follow it again (a serf restart does this by itself).
      if (this.#timers.length > 0)
        setTimeout(
          () => void this.#follow().catch((err: Error) => this.d.log(`serf RPC: ${err.message}`)),
          500,
        );
    };
    await rpc.streamMembers(() => this.#sync());
    await rpc.answerQueries(WHO_HAS, (address) => this.d.localOwner(address) ?? '');
    await this.#sync();
  }

  #sync(): Promise<void> {
    this.#syncing = this.#syncing.then(async () => {
      const rpc = this.#rpc;
      if (!rpc) return;
      try {
        this.#members = await rpc.members();
        const vteps = this.#members
          .filter((m) => m.status === 'alive' && m.name !== this.#name && m.tags.vtep)
          .map((m) => m.tags.vtep!);
        const current = await fdbEntries(this.d.netns, VXLAN_DEV);
        await fdbBatch(this.d.netns, fdbPlan(VXLAN_DEV, current, vteps));
        for (const [target, c] of this.#connections) {
          if (this.#memberFor(target)?.status === 'alive')
            this.#connections.set(target, { ...c, state: 'established', error: null });
        }
      } catch (err) {
        this.d.log(`fdb sync: ${(err as Error).message}`);
      }
    });
    return this.#syncing;
  }

  #memberFor(target: string): SerfMember | undefined {
    const host = target.split(':')[0];
    return this.#members.find((m) => m.addr === host || m.tags.vtep === host || m.name === target);
  }

  async connect(peers: string[]): Promise<ConnectionStatus[]> {
    const rpc = this.#rpc;
    if (!rpc) throw failed('the router is not running', 'launch it first: xnet-tui launch');
    const results = await Promise.all(
      peers.map(async (target): Promise<ConnectionStatus> => {
        const addr = target.includes(':') ? target : `${target}:${SERF_PORT}`;
        try {
          await rpc.join([addr]);
          return { target, state: 'established', error: null };
        } catch (err) {
          return { target, state: 'failed', error: explainJoinError((err as Error).message) };
        }
      }),
    );
    for (const r of results) this.#connections.set(r.target, r);
    await this.#sync();
    return results;
  }

  async #retryJoins(): Promise<void> {
    const pending = [...this.#connections.values()].filter(
      (c) => c.state !== 'established' || this.#memberFor(c.target)?.status === 'failed',
    );
    if (pending.length > 0 && this.#rpc)
      await this.connect(pending.map((c) => c.target)).catch(() => undefined);
  }

  async forget(peers: string[]): Promise<void> {
    for (const p of peers) this.#connections.delete(p);
  }

  async #probe(): Promise<void> {
    const peers = this.#members.filter((m) => m.name !== this.#name && m.tags.ll);
    const targets = peers.map((m) => m.tags.ll!);
    if (!this.#mtu || targets.length === 0) return;
    const [small, full] = await Promise.all([
      probe(this.d.netns, this.d.bridge, targets, 56),
      probe(this.d.netns, this.d.bridge, targets, this.#mtu - 48),
    ]);
    const now = new Date().toISOString();
    for (const [i, m] of peers.entries()) {
      const s = small[i]?.rttMs ?? null;
      const f = full[i]?.rttMs ?? null;
      const state: DataPlane['state'] =
        s === null ? 'unreachable' : f === null ? 'mtu-too-small' : 'reachable';
      const detail =
        state === 'unreachable'
          ? `no reply over VXLAN (UDP ${VXLAN_PORT}) from ${m.tags.vtep}`
          : state === 'mtu-too-small'
            ? `${this.#mtu}-byte packets do not cross; the path MTU to ${m.tags.vtep} is below ${this.#mtu + VXLAN_OVERHEAD}`
            : null;
      this.#dataPlane.set(m.name, { state, rttMs: s, detail, checkedAt: now });
    }
  }

  async stop(): Promise<void> {
    await this.#halt(true);
    if (await link(this.d.netns, VXLAN_DEV)) await ipBatch(this.d.netns, [`link del ${VXLAN_DEV}`]);
  }

  /** Releases the processes without leaving the mesh: peers see this host fail, and it rejoins when back. */
  async close(): Promise<void> {
    await this.#halt(false);
  }

  async #halt(graceful: boolean): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    if (graceful) await this.#rpc?.leave().catch(() => undefined);
    this.#rpc?.close();
    this.#rpc = undefined;
    await this.#serf?.stop(graceful);
    this.#serf = undefined;
    this.#members = [];
    this.#dataPlane.clear();
  }

  async reset(): Promise<void> {
    await this.stop();
    this.#connections.clear();
    for (const f of ['serf.snapshot', 'serf.keyring', 'serf.pid'])
      await rm(join(this.d.stateDir, f), { force: true });
    this.#settings = undefined;
    this.#mtu = undefined;
  }

  attachPoint(): AttachPoint {
    return { bridge: this.d.bridge, mtu: this.#mtu ?? 1500 };
  }

  /** Asks every alive peer whether it holds `address` (a Serf query); each agent answers from its own state. */
  async addressOwner(address: string): Promise<{ peer: string; container: string } | undefined> {
    const others = this.#members.filter((m) => m.status === 'alive' && m.name !== this.#name);
    if (!this.#rpc || others.length === 0) return undefined;
    // Through the serf CLI: the same query sent over our RPC client never reached the other members
    // (answers and acks came only from this host), while the CLI's does; see the note in the README.
    const { stdout } = await run('serf', [
      'query',
      `-rpc-addr=${SERF_RPC}`,
      '-timeout=400ms',
      '-format=json',
      WHO_HAS,
      address,
    ]).catch((err: Error) => {
      throw failed(
        `could not ask the mesh who holds ${address}: ${err.message}`,
        'try again; `xnet-tui status peers` shows the mesh',
      );
    });
    const responses = (JSON.parse(stdout) as { Responses?: Record<string, string> }).Responses ?? {};
    const answers = Object.entries(responses).map(([from, payload]) => ({ from, payload }));
    const held = answers.find((a) => a.payload && a.from !== this.#name);
    if (!held) return undefined;
    const m = this.#members.find((x) => x.name === held.from);
    return { peer: m?.tags.nick ? `${m.tags.nick} (${held.from})` : held.from, container: held.payload };
  }

  async status(): Promise<Omit<RouterStatus, 'driver' | 'state'>> {
    const peers: PeerStatus[] = this.#members.map((m) => {
      const self = m.name === this.#name;
      const dp = this.#dataPlane.get(m.name);
      return {
        name: m.name,
        nickname: m.tags.nick ?? '',
        address: m.tags.vtep ?? m.addr,
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
      bridge: { name: this.d.bridge, mtu: this.#mtu ?? null },
      underlayMtu: this.#underlay?.mtu ?? null,
      peers,
      connections: [...this.#connections.values()],
      warnings: [],
    };
  }
}

/** Serf's join errors, in the operator's words. */
export function explainJoinError(raw: string): string {
  // Serf wraps errors as "1 error occurred:\n\t* Failed to join ...".
  const message = raw
    .replace(/^\d+ errors? occurred:\s*/, '')
    .replace(/\s*\n\s*\*\s*/g, '; ')
    .replace(/^\*\s*/, '')
    .trim();
  if (/decrypt|encrypt|keyring|key/i.test(message)) {
    return `${message} — the peer uses a different mesh password, or none (give both the same --password-file)`;
  }
  if (/connection refused|i\/o timeout|no route|unreachable/i.test(message)) {
    return `${message} — nothing answers on the peer's gossip port ${SERF_PORT}/tcp+udp: is its router launched?`;
  }
  return message;
}
