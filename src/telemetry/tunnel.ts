import type { RouterStatus } from '../router/driver.js';
import type { DriverDescription } from '../router/description.js';
import { describeDriver } from '../router/descriptions.js';

/**
 * What telemetry counts for the running driver, from the driver's own description: its tunnel on the
 * underlay (the outer address names the peer) and whether the driver keeps per-peer counters of its own.
 */
export type DriverTelemetry = DriverDescription['telemetry'];

/** The running driver's telemetry plan, with the tunnel placed on this host's underlay device. */
export function driverTelemetry(r: RouterStatus, underlayDev: string | undefined): DriverTelemetry {
  const plan = r.driver ? describeDriver(r.driver).telemetry : { peerCounters: false };
  return plan.tunnel && underlayDev
    ? { ...plan, tunnel: { ...plan.tunnel, device: underlayDev } }
    : { peerCounters: plan.peerCounters };
}
