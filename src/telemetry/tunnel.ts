import type { RouterStatus } from '../router/driver.js';
import { VXLAN_PORT } from '../router/vxlan/driver.js';

/**
 * What telemetry counts for the running driver: its tunnel (device, protocol, port), and whether peers are
 * told apart on it. The one place that knows; at merge it reads the driver's own description
 * (`telemetry: { tunnel?, peerCounters }`) instead of the driver's name.
 */
export interface DriverTelemetry {
  tunnel?: { device: string; protocol: 'udp'; port: number };
  peerCounters: boolean;
}

export function driverTelemetry(r: RouterStatus, underlayDev: string | undefined): DriverTelemetry {
  if (r.driver === 'vxlan' && underlayDev)
    return { tunnel: { device: underlayDev, protocol: 'udp', port: VXLAN_PORT }, peerCounters: true };
  return { peerCounters: false };
}
