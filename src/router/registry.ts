import { badInput } from '../errors.js';
import type { DriverDeps, DriverName, RouterDriver } from './driver.js';
import { BridgeDriver } from './bridge/driver.js';
import { stopPrivateSwitch } from './ovs-gre/daemons.js';
import { OvsGreDriver } from './ovs-gre/driver.js';
import { VxlanDriver } from './vxlan/driver.js';
import { WeaveDriver } from './weave/driver.js';

type Factory = (deps: DriverDeps) => RouterDriver;

/**
 * One line per mesh. A driver listed in DriverName but not here is refused at launch with a clear error;
 * adding one is adding its factory.
 */
const FACTORIES: Partial<Record<DriverName, Factory>> = {
  vxlan: (deps) => new VxlanDriver(deps),
  weave: (deps) => new WeaveDriver(deps),
  'ovs-gre': (deps) => new OvsGreDriver(deps),
  bridge: (deps) => new BridgeDriver(deps),
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
      'not_built',
    );
}

/**
 * Stops what drivers leave running past their agent on purpose (ovs-gre's ovsdb-server and ovs-vswitchd are
 * daemons), for the agent's state directory `stateDir`: the lab calls it when it tears a host down.
 */
export async function stopDriverDaemons(stateDir: string): Promise<void> {
  await stopPrivateSwitch(stateDir);
}

export function createDriver(name: DriverName, deps: DriverDeps): RouterDriver {
  checkDriver(name);
  return FACTORIES[name]!(deps);
}
