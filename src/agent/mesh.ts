// The router's lifecycle (start, launch, connect, forget, stop, reset, rotate), each change saving the settings
// and forcing a new status read the same way. What a launch asks for is checked in launch-settings.ts, its
// confirmation countdown is launch-confirm.ts, the key rotation's input mesh-keys.ts, what attach and a stopped
// router's status see router-views.ts.
import type Docker from 'dockerode';
import { badInput, failed, XnetError } from '../errors.js';
import type { NetnsPath } from '../net/netns.js';
import type {
  DriverName,
  LaunchSettings,
  PeerCounters,
  TunnelCounters,
  MeshClocks,
  RouterDriver,
  RouterStatus,
} from '../router/driver.js';
import type { DriverDeps } from '../router/driver.js';
import { DEFAULT_DRIVER } from '../router/descriptions.js';
import { createDriver } from '../router/registry.js';
import { rotationInput } from './mesh-keys.js';
import { LaunchConfirm } from './launch-confirm.js';
import { launchSettings, parsePeer } from './launch-settings.js';
import { attachRouter, stoppedStatus } from './router-views.js';
import type { Params, Result } from '../api/index.js';
import type { AttachRouter } from './attach-steps.js';
import { Fresh } from './fresh.js';
import type { Attachment, StateStore } from './state.js';

export interface MeshDeps {
  store: StateStore;
  docker: Docker;
  /** The bridge MTU changed: attached containers follow it. */
  onMtu: (mtu: number) => Promise<void>;
  /** This host's attachments (desired state), for a router that spreads them through the mesh. */
  attachments: () => readonly Attachment[];
  netns: NetnsPath;
  bridge: string;
  /** The name of this agent's overlay namespace (the vxlan driver's bridge, and the agent's own before a launch). */
  overlayNetns: string;
  /** The bridge went (reset removed the overlay namespace): attached containers are plugged in again. */
  onBridgeGone?: () => Promise<void>;
  stateDir: string;
  log: (msg: string) => void;
  dockerd?: DriverDeps['dockerd'];
  probes?: DriverDeps['probes'];
  tunnelGoing?: DriverDeps['tunnelGoing'];
}

/** How old a router status may be when handed out; every command that changes the router reads it anew. */
const STATUS_MAX_AGE_MS = 1000;

/** The router as desired state: launch settings on disk, one driver running them. */
export class Mesh {
  #driver: RouterDriver | undefined;
  /** Telemetry and each TUI poll want the status every second: one read per second serves them all. */
  readonly #status = new Fresh(() => this.#readStatus(), STATUS_MAX_AGE_MS);
  /** A first launch the operator must confirm ("commit confirmed"): unconfirmed in time, it is reset. */
  readonly #confirm = new LaunchConfirm({
    reset: () => this.reset(),
    invalidate: () => this.#status.invalidate(),
    log: (msg) => this.d.log(msg),
  });

  constructor(private readonly d: MeshDeps) {}

  /** At agent start: bring the router back if it was running. */
  start(): Promise<void> {
    return this.#changing(() => this.#start());
  }

  async #start(): Promise<void> {
    const settings = this.d.store.current.router;
    if (!settings?.running) return;
    try {
      await this.#run(settings);
      this.d.log(`router relaunched (${settings.driver}, ${settings.peers.length} peer target(s))`);
    } catch (err) {
      this.d.log(`router relaunch failed: ${(err as Error).message}`);
    }
  }

  launch(p: Params<'launch'>): Promise<Result<'launch'>> {
    return this.#changing(() => this.#launch(p));
  }

  async #launch(p: Params<'launch'>): Promise<Result<'launch'>> {
    const prior = this.d.store.current.router;
    const { settings, warnings } = await launchSettings(p, prior, this.d);
    // The driver's own rules (Weave: range is a network, image at hand), still before anything changes.
    warnings.push(...((await this.#create(settings.driver, false).check?.(settings)) ?? []));
    await this.#driver?.close();
    this.#driver = undefined;
    await this.d.store.update((s) => ({ ...s, router: settings }));
    try {
      await this.#run(settings);
    } catch (err) {
      // A driver that found bad input (a subnet a peer holds), or whose change failed its check, undid what it
      // did: the settings go back too.
      if (err instanceof XnetError && (err.kind === 'bad_input' || err.code === 'rolled_back')) {
        await this.d.store.update(({ router: _new, ...rest }) => (prior ? { ...rest, router: prior } : rest));
      }
      throw err;
    }
    if (p.confirm !== undefined) this.#confirm.arm(p.confirm);
    this.#status.invalidate();
    return { router: await this.status(), warnings };
  }

  /** The operator keeps the launch; false when nothing was waiting (or it is too late). */
  async confirm(): Promise<Result<'confirm'>> {
    return { confirmed: this.#confirm.confirm() };
  }

  async #run(settings: LaunchSettings): Promise<void> {
    const driver = this.#create(settings.driver, true);
    try {
      await driver.launch(settings);
    } catch (err) {
      await driver.close().catch(() => undefined);
      throw err;
    }
    this.#driver = driver;
  }

  #create(name: DriverName, live: boolean): RouterDriver {
    const deps: DriverDeps = {
      netns: this.d.netns,
      docker: this.d.docker,
      bridge: this.d.bridge,
      overlayNetns: this.d.overlayNetns,
      stateDir: this.d.stateDir,
      log: this.d.log,
      onMtu: live ? this.d.onMtu : async () => undefined,
      attachments: live ? this.d.attachments : () => [],
      ...(this.d.dockerd ? { dockerd: this.d.dockerd } : {}),
      // Only the live driver plans probes: a driver made to check settings must not replace them.
      ...(live && this.d.probes ? { probes: this.d.probes } : {}),
      ...(live && this.d.tunnelGoing ? { tunnelGoing: this.d.tunnelGoing } : {}),
    };
    return createDriver(name, deps);
  }

  #running(): RouterDriver {
    if (!this.#driver)
      throw failed('the router is not running', 'launch it first: xnet-tui launch [PEER...]', 'not_running');
    return this.#driver;
  }

  connect(p: Params<'connect'>): Promise<Result<'connect'>> {
    return this.#changing(() => this.#connect(p));
  }

  async #connect(p: Params<'connect'>): Promise<Result<'connect'>> {
    const peers = p.peers.map(parsePeer);
    const driver = this.#running();
    await this.d.store.update((s) => ({
      ...s,
      router: { ...s.router!, peers: [...new Set([...s.router!.peers, ...peers])] },
    }));
    return { connections: await driver.connect(peers) };
  }

  forget(p: Params<'forget'>): Promise<Result<'forget'>> {
    return this.#changing(() => this.#forget(p));
  }

  async #forget(p: Params<'forget'>): Promise<Result<'forget'>> {
    const peers = p.peers.map(parsePeer);
    const settings = this.d.store.current.router;
    const known = settings?.peers ?? [];
    const forgotten = peers.filter((x) => known.includes(x));
    if (settings)
      await this.d.store.update((s) => ({
        ...s,
        router: { ...s.router!, peers: s.router!.peers.filter((x) => !peers.includes(x)) },
      }));
    const also = (await this.#driver?.forget(peers)) ?? [];
    const done = [...forgotten, ...also.filter((x) => !forgotten.includes(x))];
    return { forgotten: done, unknown: peers.filter((x) => !done.includes(x)) };
  }

  rotateKey(p: Params<'rotateKey'>): Promise<Result<'rotateKey'>> {
    return this.#changing(() => this.#rotateKey(p));
  }

  /**
   * Rotates the mesh key from this member. Afterwards this host's settings name the new password file; the
   * other members keep theirs, and serf's keyring file (rewritten by serf on each) carries the key from then on.
   */
  async #rotateKey(p: Params<'rotateKey'>): Promise<Result<'rotateKey'>> {
    const { passwordFile, key } = await rotationInput(p.passwordFile, this.d.store.current.router);
    const driver = this.#running();
    if (!driver.rotateKey)
      throw badInput(
        'password-file',
        `the ${driver.name} router has no key rotation`,
        'use reset and launch',
      );
    const rotation = await driver.rotateKey(key);
    await this.d.store.update((s) => ({ ...s, router: { ...s.router!, passwordFile } }));
    return rotation;
  }

  stop(): Promise<Result<'stop'>> {
    return this.#changing(() => this.#stop());
  }

  async #stop(): Promise<Result<'stop'>> {
    const wasRunning = Boolean(this.#driver);
    await this.#driver?.stop();
    this.#driver = undefined;
    if (this.d.store.current.router)
      await this.d.store.update((s) => ({ ...s, router: { ...s.router!, running: false } }));
    return { wasRunning };
  }

  reset(): Promise<Result<'reset'>> {
    return this.#changing(() => this.#reset());
  }

  async #reset(): Promise<Result<'reset'>> {
    this.#confirm.cancel();
    const wasLaunched = Boolean(this.d.store.current.router);
    const driver = this.#driver ?? this.#create(this.d.store.current.router?.driver ?? DEFAULT_DRIVER, false);
    await driver.reset();
    this.#driver = undefined;
    await this.d.store.update(({ router: _gone, ...rest }) => rest);
    await this.d.onBridgeGone?.().catch((err: Error) => this.d.log(`re-attach after reset: ${err.message}`));
    return { wasLaunched };
  }

  status(): Promise<RouterStatus> {
    return this.#status.get();
  }

  /** A command that changes the router: status is read anew after it (and during it). */
  async #changing<T>(change: () => Promise<T>): Promise<T> {
    this.#status.invalidate();
    try {
      return await change();
    } finally {
      this.#status.invalidate();
    }
  }

  async #readStatus(): Promise<RouterStatus> {
    const settings = this.d.store.current.router;
    const confirm = this.#confirm.status();
    if (this.#driver)
      return { driver: this.#driver.name, state: 'running', ...(await this.#driver.status()), ...confirm };
    return stoppedStatus(settings, this.bridgePoint());
  }

  /** What attach asks of the router (router-views.ts). */
  forAttach(): AttachRouter {
    return attachRouter({
      running: () => this.#driver,
      forAttach: () => this.#forAttach(),
      changing: (change) => this.#changing(change),
    });
  }

  /** Where containers are plugged in now: the driver's bridge, or before any launch the agent's own in the overlay namespace. */
  bridgePoint(): { name: string; netns: string | null } {
    const p = this.#forAttach()?.attachPoint();
    return p
      ? { name: p.bridge, netns: p.netns ?? null }
      : { name: this.d.bridge, netns: this.d.overlayNetns };
  }

  /** The running driver, else (router stopped) one for the saved settings: a stopped Weave host still attaches to weave. */
  #forAttach(): RouterDriver | undefined {
    if (this.#driver) return this.#driver;
    const settings = this.d.store.current.router;
    return settings ? this.#create(settings.driver, false) : undefined;
  }

  /** The running driver's per-peer tunnel counters; undefined when it has none (vxlan, weave) or is not running. */
  peerCounters(): Promise<PeerCounters[] | undefined> {
    return this.#driver?.peerCounters?.() ?? Promise.resolve(undefined);
  }

  /** Clock offsets with the peers, where the running driver can measure them; undefined otherwise. */
  clocks(): Promise<MeshClocks | undefined> {
    return this.#driver?.clocks?.() ?? Promise.resolve(undefined);
  }

  tunnelCounters(): Promise<TunnelCounters | undefined> {
    return this.#driver?.tunnelCounters?.() ?? Promise.resolve(undefined);
  }

  async close(): Promise<void> {
    await this.#driver?.close();
  }
}
