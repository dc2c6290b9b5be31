// The bridge RouterDriver: its launch (NIC into the bridge, with the check and the revert) and reset written
// side by side; the record, slices, dockerd options and what status says (status.ts) have their own files.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { badInput, failed, XnetError } from '../../errors.js';
import { VERSION } from '../../version.js';
import type {
  AttachPoint,
  ConnectionStatus,
  DriverDeps,
  LaunchSettings,
  RouterDriver,
  RouterStatus,
} from '../driver.js';
import { readPasswordFile } from '../password.js';
import { SerfMembership } from '../serf/membership.js';
import { findUnderlay } from '../underlay.js';
import {
  NicRecord,
  defaultGateway,
  lanOf,
  moveIntoBridge,
  neighbours,
  nicInBridge,
  putNicBack,
  readNic,
  unreachable,
} from './nic.js';
import { DEFAULT_BRIDGE, attachRefusal, checkSlice, parseSlice, proposeSlice, type Lan } from './plan.js';
import { giveDockerdItsOptionsBack, giveDockerdTheBridge } from './dockerd.js';
import { loadRecord, SAVED_FILE, saveRecord, type Saved } from './record.js';
import { lanProbePlan, slicesOf, statusOf, toMember, type Member } from './status.js';

const CHECK_TIMEOUT_S = 10;

/**
 * The seed's first way, made safe: the NIC moves into a bridge (addresses and routes in one `ip -batch`), the
 * host checks it still reaches its gateway and peers and puts everything back by itself if not, then dockerd
 * gets `bridge` and this host's `fixed-cidr` slice of the LAN through the dockerd options. Slices are shared as
 * Serf tags (the ovs-gre way), so a clash is refused before anything changes.
 */
export class BridgeDriver implements RouterDriver {
  readonly name = 'bridge' as const;
  #settings: LaunchSettings | undefined;
  #nic: NicRecord | undefined;
  #lan: Lan | undefined;
  #bridge = DEFAULT_BRIDGE;
  #slice: string | undefined;
  #members: Member[] = [];
  /** From launch to stop/close: membership changes re-plan the probes only then. */
  #probing = false;
  readonly #mesh: SerfMembership;

  constructor(private readonly d: DriverDeps) {
    this.#mesh = new SerfMembership({
      stateDir: d.stateDir,
      log: d.log,
      addressOf: (m) => m.tags.addr ?? m.addr,
      onChange: async (members) => {
        this.#members = members.map(toMember);
        this.#planProbes();
      },
      transport: 'lan',
      launchHint: 'launch it first: xnet-tui launch --driver bridge',
    });
  }

  /** The host's probe loops, from br0 to every alive member's LAN address (no `fping` of this driver's own). */
  #planProbes(): void {
    const lan = this.#lan;
    this.d.probes?.plan(
      this.#probing && lan && this.#nic
        ? lanProbePlan(this.#bridge, this.d.netns, this.#nic.mtu, this.#members, lan.address)
        : undefined,
    );
  }

  async launch(settings: LaunchSettings): Promise<void> {
    this.#settings = settings;
    if (!this.d.dockerd)
      throw failed(
        'the bridge driver needs dockerd options support in the agent',
        'run a current xnet-tui agent',
      );
    const saved = await this.#load();
    const bridge = settings.lan?.bridge ?? saved.bridge ?? DEFAULT_BRIDGE;
    this.#bridge = bridge;
    const dev =
      saved.nic?.dev ?? settings.lan?.nic ?? (await findUnderlay(this.d.netns, settings.listen)).dev;
    const moved = await nicInBridge(this.d.netns, dev, bridge);
    const nic = saved.nic ?? (await readNic(this.d.netns, dev, bridge));
    this.#nic = nic;
    const lan = lanOf(nic);
    this.#lan = lan;
    const gateway = defaultGateway(nic);
    const checks = [
      ...new Set([settings.lan?.check ?? gateway, ...settings.peers.map((p) => p.split(':')[0]!)]),
    ].filter((t): t is string => Boolean(t));
    if (checks.length === 0)
      throw badInput(
        'check',
        `${dev} has no default gateway and no peer was named: nothing would tell a lockout from success`,
        'name an address that must still answer after the move with --check ADDRESS, or give PEERs',
      );
    const password = settings.passwordFile ? await readPasswordFile(settings.passwordFile) : undefined;
    const fresh = !saved.nic && !saved.dockerd;
    const tags = { addr: lan.address, nick: settings.nickname, driver: 'bridge', xnet: VERSION };
    const start = async (slice?: string): Promise<void> => {
      await this.#mesh.start({
        address: lan.address,
        tags: { ...tags, ...(slice ? { subnet: slice } : {}) },
        ...(password ? { password } : {}),
      });
      if (settings.peers.length > 0) await this.#mesh.join(settings.peers);
      await this.#mesh.sync();
    };

    // A relaunch keeps the slice dockerd already has, even one proposed at the first launch.
    const chosen = settings.subnet ?? saved.slice;
    // 1. Membership and the slice, before anything changes: a clash or a LAN host in the slice is refused.
    try {
      await start(chosen ? parseSlice(chosen, lan) : undefined);
      const others = slicesOf(this.#members).filter((s) => s.name !== lan.address);
      const hosts = [
        lan.address,
        ...(gateway ? [gateway] : []),
        ...this.#members.map((m) => m.address),
        ...(await neighbours(this.d.netns)),
      ];
      let slice: string;
      if (chosen) {
        slice = parseSlice(chosen, lan);
        // A relaunch's own containers sit in its slice (and in the neighbour table): only a new slice is checked.
        checkSlice(slice, lan, others, chosen === saved.slice ? [] : hosts);
      } else {
        const proposed = proposeSlice(lan, hosts, others);
        if (!proposed)
          throw badInput('slice', `no free block left in ${lan.cidr}`, 'choose one with --slice CIDR');
        slice = proposed;
        // The tag is given at start: serf again, now announcing the slice.
        await this.#mesh.halt(true);
        await start(slice);
        this.d.log(`bridge: proposed slice ${slice}`);
      }
      this.#slice = slice;
    } catch (err) {
      if (err instanceof XnetError && err.kind === 'bad_input') {
        await this.#mesh.halt(true);
        if (fresh) await this.#mesh.reset();
      }
      throw err;
    }

    // 2. The NIC into the bridge in one step, then the check; no answer: everything back, by itself.
    saved.nic = nic;
    saved.bridge = bridge;
    saved.slice = this.#slice;
    await this.#save(saved);
    if (!moved) {
      this.d.log(`bridge: ${dev} into ${bridge}, checking ${checks.join(', ')}`);
      await moveIntoBridge(this.d.netns, nic, bridge).catch(async (err: Error) => {
        await this.#rollBack(nic, fresh, `the move failed: ${err.message}`);
      });
      const timeout = (settings.lan?.confirmTimeout ?? CHECK_TIMEOUT_S) * 1000;
      const silent = await unreachable(this.d.netns, checks, timeout);
      if (silent.length > 0)
        await this.#rollBack(
          nic,
          fresh,
          `after ${dev} moved into ${bridge}, ${silent.join(', ')} did not answer within ${timeout / 1000} s`,
        );
    }

    // 3. dockerd: containers on the bridge, addresses from this host's slice (validated, rolled back on failure).
    try {
      await giveDockerdTheBridge(
        this.d.dockerd,
        { bridge, slice: this.#slice! },
        saved,
        (x) => this.#save(x),
        this.d.log,
      );
    } catch (err) {
      if (!moved) await this.#rollBack(nic, fresh, (err as Error).message);
      throw err;
    }
    this.#probing = true;
    this.#planProbes();
  }

  /** A failed move or check: the NIC back as recorded, serf down; throws what happened. */
  async #rollBack(nic: NicRecord, fresh: boolean, why: string): Promise<never> {
    await putNicBack(this.d.netns, nic, this.#bridge);
    await this.#mesh.halt(true);
    if (fresh) await this.#forgetFiles();
    throw failed(
      `${why}; everything was put back (${nic.dev} has its addresses and routes, no ${this.#bridge})`,
      'check the LAN (is the gateway up?), or name another target with --check ADDRESS',
      'rolled_back',
    );
  }

  async connect(peers: string[]): Promise<ConnectionStatus[]> {
    return this.#mesh.connect(peers);
  }

  async forget(peers: string[]): Promise<void> {
    this.#mesh.forget(peers);
  }

  /** Leaves the mesh; the bridge and dockerd's options stay (containers keep their LAN). */
  async stop(): Promise<void> {
    this.#stopProbes();
    await this.#mesh.halt(true);
    this.#members = [];
  }

  async close(): Promise<void> {
    this.#stopProbes();
    await this.#mesh.halt(false);
  }

  #stopProbes(): void {
    this.#probing = false;
    this.d.probes?.plan(undefined);
  }

  /** dockerd's options back first (it lets go of the bridge), then the NIC, then the record. */
  async reset(): Promise<void> {
    await this.stop();
    const saved = await this.#load();
    if (this.d.dockerd) await giveDockerdItsOptionsBack(this.d.dockerd, saved, this.d.stateDir);
    if (saved.nic) await putNicBack(this.d.netns, saved.nic, saved.bridge ?? DEFAULT_BRIDGE);
    await this.#forgetFiles();
    this.#settings = undefined;
  }

  async #forgetFiles(): Promise<void> {
    await this.#mesh.reset();
    await rm(join(this.d.stateDir, SAVED_FILE), { force: true });
  }

  #load(): Promise<Saved> {
    return loadRecord(this.d.stateDir);
  }

  #save(s: Saved): Promise<void> {
    return saveRecord(this.d.stateDir, s);
  }

  attachPoint(): AttachPoint {
    return { bridge: this.#bridge, mtu: this.#nic?.mtu ?? 1500 };
  }

  async addressOwner(): Promise<undefined> {
    return undefined;
  }

  /** A chosen LAN address: on the LAN, outside every host's docker slice, used by no LAN host we know of. */
  async claim(_containerId: string, cidrs: string[]): Promise<void> {
    const lan = this.#lan;
    if (!lan) return;
    const gateway = this.#nic ? defaultGateway(this.#nic) : undefined;
    const known = [
      { address: lan.address, what: 'this host' },
      ...(gateway ? [{ address: gateway, what: 'the default gateway' }] : []),
      ...this.#members.map((m) => ({ address: m.address, what: `the host ${m.nickname || m.name}` })),
      ...(await neighbours(this.d.netns)).map((a) => ({ address: a, what: 'a neighbour (ip neigh)' })),
    ];
    for (const cidr of cidrs) {
      const why = attachRefusal(cidr.split('/')[0]!, lan, slicesOf(this.#members), known);
      if (why)
        throw badInput(
          'cidr',
          why,
          `choose an address of ${lan.cidr} outside every slice (\`xnet-tui status\`)`,
          'in_use',
        );
    }
  }

  async status(): Promise<Omit<RouterStatus, 'driver' | 'state'>> {
    return statusOf({
      settings: this.#settings,
      nic: this.#nic,
      lan: this.#lan,
      bridge: this.#bridge,
      slice: this.#slice,
      members: this.#members,
      joins: this.#mesh.connections,
      reading: this.d.probes && ((a) => this.d.probes!.reading(a)),
    });
  }
}
