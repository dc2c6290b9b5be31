import type Docker from 'dockerode';
import { badInput } from '../errors.js';
import type { DockerdConfig } from '../docker/config/apply.js';
import type { NetnsPath } from '../net/netns.js';
import type { DriverName, RouterDriver } from './driver.js';
import { OvsGreDriver } from './ovs-gre/driver.js';
import { VxlanDriver } from './vxlan/driver.js';
import { WeaveDriver } from './weave/driver.js';

/** What the agent gives every driver. A driver takes what it needs and ignores the rest. */
export interface DriverDeps {
  netns: NetnsPath;
  /** This host's dockerd: the weave driver runs its router there; ovs-gre reads docker's bridge. */
  docker: Docker;
  /** The bridge attach plugs containers into when the driver has no bridge of its own. */
  bridge: string;
  /** The agent's state directory: drivers keep their files (keyrings, logs, pidfiles) under it. */
  stateDir: string;
  log: (msg: string) => void;
  /** Called when the bridge MTU changes, so attached containers follow it. */
  onMtu: (mtu: number) => Promise<void>;
  /** This host's attachments, to answer "who holds this address?" from peers. */
  localOwner: (address: string) => string | undefined;
  /** dockerd's options with their validation, backup and rollback, for drivers that give docker's bridge a subnet. */
  dockerd?: Pick<DockerdConfig, 'show' | 'applyNow'>;
}

type Factory = (deps: DriverDeps) => RouterDriver;

/**
 * One line per mesh. A driver listed in DriverName but not here is refused at launch with a clear error;
 * adding one is adding its factory.
 */
const FACTORIES: Partial<Record<DriverName, Factory>> = {
  vxlan: (deps) => new VxlanDriver(deps),
  weave: (deps) => new WeaveDriver(deps),
  'ovs-gre': (deps) => new OvsGreDriver(deps),
};

export function builtDrivers(): DriverName[] {
  return Object.keys(FACTORIES) as DriverName[];
}

/** Refuses a driver that is not built, before anything is saved or touched. */
export function checkDriver(name: DriverName): void {
  if (!FACTORIES[name])
    throw badInput(
      'driver',
      `the ${name} driver is not built yet`,
      `choose one of: ${builtDrivers().join(', ')}`,
    );
}

export function createDriver(name: DriverName, deps: DriverDeps): RouterDriver {
  checkDriver(name);
  return FACTORIES[name]!(deps);
}
