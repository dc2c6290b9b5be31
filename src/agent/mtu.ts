import { badInput } from '../errors.js';
import type { DriverName } from '../router/driver.js';
import { describeDriver, describeDrivers } from '../router/descriptions.js';
import { overheadOf } from '../router/mtu-advice.js';
import type { Underlay } from '../router/underlay.js';

/** IPv6 needs 1280; the data-plane probes are ICMPv6 to link-local addresses. */
const MIN_MTU = 1280;

/**
 * `launch --mtu`: only for a driver that lists it, never above what the underlay carries inside the tunnel,
 * never below IPv6's minimum. Checked before anything is saved or touched (bad input, exit 2).
 */
export function checkMtu(
  driver: DriverName,
  mtu: number | undefined,
  underlay: Underlay,
): number | undefined {
  if (mtu === undefined) return undefined;
  if (!describeDriver(driver).launch.some((f) => f.key === 'mtu')) {
    const taking = describeDrivers().filter((d) => d.launch.some((f) => f.key === 'mtu'));
    throw badInput(
      'mtu',
      `the ${driver} driver does not take --mtu`,
      `only ${taking.map((d) => d.name).join(', ')} does; leave --mtu out`,
    );
  }
  // What the driver's encapsulation adds (its description): the overlay gets the rest of the underlay's MTU.
  const overhead = overheadOf(describeDriver(driver));
  const most = underlay.mtu - overhead.bytes;
  if (!Number.isInteger(mtu) || mtu > most || mtu < MIN_MTU)
    throw badInput(
      'mtu',
      mtu > most
        ? `--mtu ${mtu} is above what the underlay ${underlay.dev} (mtu ${underlay.mtu}) carries inside ${overhead.path}: at most ${most}`
        : `--mtu ${mtu} is below ${MIN_MTU}, the least IPv6 (and the data-plane probes) need`,
      `give ${MIN_MTU}-${most}; to go above ${most}, raise the underlay MTU first`,
    );
  return mtu;
}
