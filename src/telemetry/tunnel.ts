import type { RouterStatus } from '../router/driver.js';
import type { DriverDescription } from '../router/description.js';
import { describeDriver } from '../router/descriptions.js';

/**
 * What telemetry counts for the running driver, from the driver's own description: its tunnel on the
 * underlay (the outer address names the peer), whether the driver keeps per-peer counters of its own, and
 * whether every port of its bridge is counted by the other end's LAN address.
 */
export type DriverTelemetry = DriverDescription['telemetry'];

/** The running driver's telemetry plan, with the tunnel placed on this host's underlay device. */
export function driverTelemetry(r: RouterStatus, underlayDev: string | undefined): DriverTelemetry {
  const plan: DriverTelemetry = r.driver ? describeDriver(r.driver).telemetry : { peerCounters: false };
  const { tunnel, ...rest } = plan;
  return tunnel && underlayDev ? { ...rest, tunnel: { ...tunnel, device: underlayDev } } : rest;
}
