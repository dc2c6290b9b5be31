// One piece (over 300 lines): the ovs-gre RouterDriver, its launch/reset and connect/forget written side
// by side so each undo sits next to its do. Layout, daemons, underlay and status parsing are split out.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { badInput, failed, XnetError } from '../../errors.js';
import { OptionValue } from '../../docker/config/options.js';
import type { StagedChange } from '../../docker/config/plan.js';
import { ipBatch, link, routes4 } from '../../net/ip.js';
import { VERSION } from '../../version.js';
import type {
  AttachPoint,
  ConnectionStatus,
  LaunchSettings,
  PeerCounters,
  PeerStatus,
  RouterDriver,
  RouterStatus,
  DriverDeps,
} from '../driver.js';
import { findUnderlay, type Underlay } from '../underlay.js';
import { SerfMembership } from '../serf/membership.js';
import type { KeyRotation } from '../serf/rotate.js';
import { readPasswordFile } from '../password.js';
import type { SerfMember } from '../serf/rpc.js';
import {
  detectDatapath,
  existingSwitch,
  openSwitch,
  privatePid,
  removePrivateSwitch,
  type OvsSwitch,
} from './daemons.js';
import {
  GRE_OVERHEAD,
  OVS_BRIDGE,
  ROUTE_PROTO,
  UNDERLAY_BRIDGE,
  describeMember,
  greRemote,
  meshPlan,
  parseSubnet,
  routeClash,
  subnetHolder,
  type HostSubnet,
  type Member,
} from './layout.js';
import type { Ovs } from './ovs.js';
import { ourRoutes, parsePortStats, readOvsStatus } from './status.js';
import { UnderlayRecord, checksumOffloadOff, ethtoolTx, giveBackUnderlay, takeUnderlay } from './underlay.js';

const RESYNC_EVERY_MS = 5_000;
/** What this driver changed outside its own bridges, so reset can put it back even after an agent restart. */
const SAVED_FILE = 'ovs-gre.json';
const DOCKERD_KEYS = ['bip', 'mtu'] as const;

const Saved = z.object({
  /** dockerd's options as they were before the first launch: value and where it came from. */
  dockerd: z.record(z.string(), z.object({ value: OptionValue.nullable(), source: z.string() })).optional(),
  underlay: UnderlayRecord.optional(),
  /** The bip this driver gave docker's bridge, and the bridge. */
  applied: z.object({ bip: z.string(), dockerBridge: z.string() }).optional(),
  /** Userspace datapath: the NIC whose tx checksum offload was turned off (see checksumOffloadOff). */
  txOffload: z.object({ dev: z.string(), wasOn: z.boolean() }).optional(),
  /** Peers `forget` took the tunnel from, until `connect` gives it back: a relaunch must not re-tunnel them. */
  forgotten: z.array(z.string()).optional(),
});
type Saved = z.infer<typeof Saved>;

/**
 * OVS's userspace datapath (3.1) counts every frame a GRE port sends twice: the frame, then the frame inside
 * its GRE packet (GRE_OVERHEAD bytes more). rx counts each frame once. Measured against tcpdump on the
 * underlay: 30 pings of 1,042-byte frames and 6 BFD frames added 72 packets and 64,680 bytes to tx, which is
 * 36 x 2 packets and 2 x (30 x 1,042 + 6 x 66) + 36 x 38 bytes. Pure.
 */
export function userspaceGreTx(tx: { packets: number; bytes: number }): { packets: number; bytes: number } {
  const packets = Math.floor(tx.packets / 2);
  return { packets, bytes: Math.max(0, Math.round((tx.bytes - GRE_OVERHEAD * packets) / 2)) };
}

function toMember(m: SerfMember): Member {
  return {
    name: m.name,
    address: m.addr,
    nickname: m.tags.nick ?? '',
    subnet: m.tags.subnet ?? null,
    status: m.status,
  };
}

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
    this.#dockerBridge = await this.#findDockerBridge();
    const clash = routeClash(subnet.subnet, await routes4(this.d.netns), this.#dockerBridge);
    if (clash)
      throw badInput(
        'subnet',
        `${subnet.subnet} overlaps the host route ${clash.dst}${clash.dev ? ` dev ${clash.dev}` : ''}`,
        'choose a subnet no route on this host covers (`ip route`)',
      );
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
      const holder = subnetHolder(subnet.subnet, this.#name, this.#members);
      if (holder)
        throw badInput(
          'subnet',
          `${subnet.subnet} overlaps ${holder.subnet}, the container subnet of ${describeMember(holder)}`,
          'give this host a subnet no other host holds (`xnet-tui status` on a peer shows its subnet)',
        );
      // 2. docker's bridge gets this host's subnet, through the dockerd options (validated, rolled back on failure).
      await this.#dockerdOptions(subnet, this.#mtu, saved);
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
    await this.#ensureBridge(sw, this.#mtu);
    // 5. GRE ports and routes, kept in step with the membership (and checked again now and then).
    await this.#mesh.sync();
    this.#resync = setInterval(() => void this.#mesh.sync(), RESYNC_EVERY_MS);
  }

  async #findDockerBridge(): Promise<string> {
    if (!this.d.docker) return 'docker0';
    try {
      const net = (await this.d.docker.getNetwork('bridge').inspect()) as {
        Options?: Record<string, string>;
      };
      return net.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
    } catch {
      return 'docker0';
    }
  }

  async #dockerdOptions(subnet: HostSubnet, mtu: number, saved: Saved): Promise<void> {
    const dockerd = this.d.dockerd!;
    const shown = await dockerd.show();
    const current = new Map(shown.options.map((o) => [o.key, o]));
    if (!saved.dockerd) {
      saved.dockerd = Object.fromEntries(
        DOCKERD_KEYS.map((k) => [
          k,
          { value: current.get(k)?.value ?? null, source: current.get(k)?.source ?? 'default' },
        ]),
      );
      await this.#save(saved);
    }
    const want: Record<(typeof DOCKERD_KEYS)[number], OptionValue> = { bip: subnet.bip, mtu };
    const changes: StagedChange[] = DOCKERD_KEYS.filter((k) => current.get(k)?.value !== want[k]).map(
      (k) => ({
        key: k,
        value: want[k],
      }),
    );
    saved.applied = { bip: subnet.bip, dockerBridge: this.#dockerBridge };
    await this.#save(saved);
    if (changes.length === 0) return;
    this.d.log(`ovs-gre: dockerd ${changes.map((c) => `${c.key}=${String(c.value)}`).join(' ')}`);
    const res = await dockerd.applyNow(changes);
    if (res.outcome !== 'applied')
      throw failed(
        `dockerd did not come back with ${changes.map((c) => `${c.key}=${String(c.value)}`).join(' ')} (${res.outcome}): ${res.reason ?? ''}` +
          (res.daemonLog.length > 0 ? `\n  ${res.daemonLog.slice(-5).join('\n  ')}` : ''),
        '`xnet-tui dockerd show` shows what is in effect now',
      );
  }

  async #ensureBridge(sw: OvsSwitch, mtu: number): Promise<void> {
    await sw.ovs.vsctl([
      '--may-exist',
      'add-br',
      OVS_BRIDGE,
      '--',
      'set',
      'Bridge',
      OVS_BRIDGE,
      `datapath_type=${sw.datapath}`,
      'external_ids:xnet=ovs-gre',
      '--',
      'set',
      'Interface',
      OVS_BRIDGE,
      `mtu_request=${mtu}`,
    ]);
    await ipBatch(this.d.netns, [
      `link set dev ${OVS_BRIDGE} master ${this.#dockerBridge}`,
      `link set dev ${OVS_BRIDGE} up`,
      `link set dev ${this.#dockerBridge} up`,
    ]);
  }

  /** A membership change: ports and routes follow it, once the switch is up (before that, only the members). */
  async #plan(members: readonly SerfMember[]): Promise<void> {
    this.#members = members.map(toMember);
    const sw = this.#switch;
    if (!sw || !this.#subnet) return;
    const plan = meshPlan({ name: this.#name, subnet: this.#subnet.subnet }, this.#members, this.#forgotten);
    this.#skipped = plan.skipped;
    await this.#syncPorts(sw.ovs, plan.ports);
    await this.#syncRoutes(plan.routes);
    this.#planProbes(plan.routes);
  }

  /**
   * The host's probe loops, from docker's bridge to each routed peer's docker bridge address: the echo takes the
   * containers' path (route via the peer's gateway, OVS, its GRE port) and the reply comes back the same way.
   */
  #planProbes(routes: ReturnType<typeof meshPlan>['routes']): void {
    this.#probeAddresses = new Map(
      this.#members.flatMap((m) => {
        const r = routes.find((x) => x.dst === m.subnet);
        return r ? [[m.address, r.via] as const] : [];
      }),
    );
    this.d.probes?.plan(
      this.#mtu && routes.length > 0
        ? {
            point: { netns: this.d.netns, dev: this.#dockerBridge },
            mtu: this.#mtu,
            targets: [...this.#probeAddresses.values()],
          }
        : undefined,
    );
  }

  async #syncPorts(ovs: Ovs, wanted: ReturnType<typeof meshPlan>['ports']): Promise<void> {
    const have = (await ovs.ports(OVS_BRIDGE)).filter((p) => p.startsWith('gre-'));
    let changed = false;
    for (const p of wanted) {
      if (have.includes(p.name)) continue;
      changed = true;
      await ovs.vsctl([
        'add-port',
        OVS_BRIDGE,
        p.name,
        '--',
        'set',
        'Port',
        p.name,
        // Split horizon: a full mesh of tunnels must not forward from one tunnel into another (a loop).
        'protected=true',
        '--',
        'set',
        'Interface',
        p.name,
        'type=gre',
        `options:remote_ip=${p.remote}`,
        'bfd:enable=true',
        `external_ids:xnet-peer=${p.remote}`,
      ]);
      this.d.log(`ovs-gre: port ${p.name} to ${p.peer}`);
    }
    for (const name of have.filter((n) => !wanted.some((p) => p.name === n))) {
      changed = true;
      await ovs.vsctl(['--if-exists', 'del-port', OVS_BRIDGE, name]);
      this.d.log(`ovs-gre: port ${name} removed`);
    }
    // A megaflow cached while a tunnel was missing (GRE from that peer -> LOCAL) outlives the new port until the
    // revalidator gets to it, which under load took over 20 s: BFD stayed down. Flush, and the next packet asks.
    if (changed)
      await ovs
        .appctl(['dpctl/del-flows'])
        .catch((err: Error) => this.d.log(`ovs-gre: flushing datapath flows: ${err.message}`));
  }

  async #syncRoutes(wanted: ReturnType<typeof meshPlan>['routes']): Promise<void> {
    const have = await ourRoutes(this.d.netns);
    const lines: string[] = [];
    for (const r of wanted) {
      const now = have.find((h) => h.dst === r.dst);
      if (now?.gateway === r.via && now.dev === this.#dockerBridge) continue;
      lines.push(`route replace ${r.dst} via ${r.via} dev ${this.#dockerBridge} onlink proto ${ROUTE_PROTO}`);
    }
    for (const h of have.filter((x) => !wanted.some((r) => r.dst === x.dst)))
      lines.push(`route del ${h.dst} proto ${ROUTE_PROTO}`);
    await ipBatch(this.d.netns, lines);
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

  /** This host stops tunnelling to PEER: its GRE port and route go, until `connect PEER` again. */
  rotateKey(key: string): Promise<KeyRotation> {
    return this.#mesh.rotateKey(key);
  }

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
    if (ovs) await this.#syncPorts(ovs, []).catch((err: Error) => this.d.log(`ovs-gre stop: ${err.message}`));
    await this.#syncRoutes([]);
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
  }

  /** Removes every trace, in the reverse order of launch; works from a fresh agent too (what it needs is on disk). */
  async reset(): Promise<void> {
    await this.#halt(true);
    const saved = await this.#load();
    const ovs = await existingSwitch(this.d.stateDir);
    const privateDaemons = privatePid(this.d.stateDir, 'ovsdb-server') !== undefined;
    if (ovs) {
      const wait =
        privatePid(this.d.stateDir, 'ovs-vswitchd') !== undefined || !privateDaemons ? [] : ['--no-wait'];
      for (const br of [OVS_BRIDGE, UNDERLAY_BRIDGE]) await ovs.vsctl([...wait, '--if-exists', 'del-br', br]);
    }
    await removePrivateSwitch(this.d.stateDir);
    // Userspace-datapath taps outlive a vswitchd that was killed: remove what is left of ours.
    const leftovers = [OVS_BRIDGE, UNDERLAY_BRIDGE, ...(privateDaemons || !ovs ? ['ovs-netdev'] : [])];
    for (const dev of leftovers)
      if (await link(this.d.netns, dev)) await ipBatch(this.d.netns, [`link del ${dev}`]);
    if (saved.underlay) await giveBackUnderlay(this.d.netns, saved.underlay);
    if (saved.txOffload?.wasOn)
      await ethtoolTx(this.d.netns, saved.txOffload.dev, 'on').catch(() => undefined);
    await this.#syncRoutes([]);
    if (saved.dockerd && this.d.dockerd) {
      const changes: StagedChange[] = Object.entries(saved.dockerd).map(([key, was]) =>
        was.source === 'default' || was.value === null
          ? { key, value: null }
          : { key, value: was.value, to: was.source === 'flag' ? 'flag' : 'daemon.json' },
      );
      // dockerd without bip keeps whatever address its bridge already has: take ours off, so it picks its own again.
      if (saved.applied && changes.some((c) => c.key === 'bip' && c.value === null))
        await ipBatch(this.d.netns, [
          `addr del ${saved.applied.bip} dev ${saved.applied.dockerBridge}`,
        ]).catch(() => undefined);
      const res = await this.d.dockerd.applyNow(changes);
      if (res.outcome !== 'applied')
        throw failed(
          `could not restore dockerd's ${Object.keys(saved.dockerd).join(', ')}: ${res.reason ?? res.outcome}`,
          '`xnet-tui dockerd show`; the record of the old values is kept in ' +
            join(this.d.stateDir, SAVED_FILE),
        );
    }
    await this.#forgetFiles();
    this.#forgotten.clear();
    this.#settings = undefined;
  }

  /** Serf's files and connect targets, and this driver's record. */
  async #forgetFiles(): Promise<void> {
    await this.#mesh.reset();
    await rm(join(this.d.stateDir, SAVED_FILE), { force: true });
  }

  async #load(): Promise<Saved> {
    try {
      return Saved.parse(JSON.parse(await readFile(join(this.d.stateDir, SAVED_FILE), 'utf8')));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw failed(
        `${join(this.d.stateDir, SAVED_FILE)} is damaged: ${(err as Error).message}`,
        'it records what reset must put back (dockerd bip/mtu, the underlay, NIC offload): repair it by hand, or move it away and check `xnet-tui dockerd show` and `ip addr` yourself',
      );
    }
  }

  /** Writes the record with the forgotten peers as they are now (whatever `s` was read with). */
  async #save(s: Saved): Promise<void> {
    const forgotten = [...this.#forgotten].sort();
    const record: Saved = { ...s, ...(forgotten.length > 0 ? { forgotten } : { forgotten: undefined }) };
    await writeFileAtomic(join(this.d.stateDir, SAVED_FILE), JSON.stringify(record, null, 2) + '\n', {
      mode: 0o600,
    });
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
    const sw = this.#switch;
    if (!sw) return [];
    const { stdout } = await sw.ovs.ofctl(['--names', 'dump-ports', OVS_BRIDGE]);
    return parsePortStats(stdout).flatMap((p) => {
      const address = greRemote(p.name);
      if (!address) return [];
      return [{ address, rx: p.rx, tx: sw.datapath === 'netdev' ? userspaceGreTx(p.tx) : p.tx }];
    });
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
    const bfd = new Map((ovs?.ports ?? []).map((p) => [p.remote, p]));
    const peers: PeerStatus[] = this.#members.map((m) => {
      const self = m.name === this.#name;
      const port = bfd.get(m.address);
      const state: PeerStatus['dataPlane']['state'] = self
        ? 'reachable'
        : port?.bfd === 'up'
          ? 'reachable'
          : port
            ? 'unreachable'
            : 'unknown';
      return {
        name: m.name,
        nickname: m.nickname,
        address: m.address,
        gossip: m.status,
        dataPlane: {
          state,
          rttMs: self ? 0 : null,
          detail: self
            ? 'this host'
            : !port
              ? this.#forgotten.has(m.address)
                ? 'forgotten: no GRE port'
                : 'no GRE port'
              : port.bfd === 'up'
                ? `BFD up over ${port.name}`
                : `no BFD reply over GRE (IP protocol 47) from ${m.address} (BFD ${port.bfd ?? 'off'})`,
          checkedAt: null,
        },
        self,
        probeAddress: this.#probeAddresses.get(m.address) ?? null,
      };
    });
    const tunnels: ConnectionStatus[] = (ovs?.ports ?? []).map((p) => {
      const m = this.#members.find((x) => x.address === p.remote);
      return {
        target: p.remote,
        state: p.bfd === 'up' ? 'established' : m?.status === 'failed' ? 'failed' : 'pending',
        error: p.error,
        transport: 'gre',
        reason:
          p.bfd === 'up'
            ? `BFD up over ${p.name}`
            : m?.status === 'failed'
              ? 'the peer is failed in gossip'
              : `waiting for BFD over ${p.name}`,
      };
    });
    const joinsOnly = this.#mesh.connections.filter(
      (c) => !tunnels.some((t) => t.target === c.target.split(':')[0]),
    );
    return {
      nickname: this.#settings?.nickname ?? null,
      name: this.#underlay?.address ?? null,
      listen: this.#underlay?.address ?? null,
      range: this.#subnet?.subnet ?? null,
      encrypted: Boolean(this.#settings?.passwordFile),
      bridge: { name: this.#dockerBridge, mtu: this.#mtu ?? null },
      underlayMtu: this.#underlay?.mtu ?? null,
      peers,
      connections: [...tunnels, ...joinsOnly],
      warnings: this.#skipped,
      ...(ovs ? { details: { driver: this.name, ovs } } : {}),
    };
  }
}
