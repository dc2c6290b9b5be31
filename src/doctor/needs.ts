import type { DoctorCheck } from '../api/doctor.js';
import type { DriverDescription, DriverPort } from '../router/description.js';
import { describeDriver, describeDrivers } from '../router/descriptions.js';
import type { DriverName } from '../router/driver.js';

/**
 * What each driver needs of the host (its description's `host` and `mtu`), and the checks that follow from
 * it: the driver in use has only its own checked, the others' are skipped as "not needed by" it; before any
 * launch every built driver's are, each titled with who needs it. Pure.
 */

/** A thing some drivers need, with the drivers that do. */
export type Needed<T> = T & { drivers: DriverName[] };

/** The drivers whose needs count: the one in use, or every built one. */
const inScope = (driver: DriverName | null): DriverDescription[] =>
  driver ? [describeDriver(driver)] : describeDrivers().filter((d) => d.built);

/** Each item of `pick` over the drivers, listed once with every driver that has it. */
function gather<T>(
  drivers: DriverDescription[],
  pick: (d: DriverDescription) => readonly T[],
  same: (a: T, b: T) => boolean,
): Needed<T>[] {
  const out: Needed<T>[] = [];
  for (const d of drivers)
    for (const x of pick(d)) {
      const seen = out.find((y) => same(y, x));
      if (seen) seen.drivers.push(d.name);
      else out.push({ ...x, drivers: [d.name] });
    }
  return out;
}

type PortKey = Pick<DriverPort, 'port' | 'proto'>;
const samePort = (a: PortKey, b: PortKey) => a.port === b.port && a.proto === b.proto;

/** The kernel modules to look at: the driver's, or with none every built driver's. */
export function hostModules(driver: DriverName | null): Needed<{ name: string; what: string }>[] {
  return gather(
    inScope(driver),
    (d) => d.host.modules,
    (a, b) => a.name === b.name,
  );
}

/** The data-plane ports a firewall must let through: the driver's, or with none every built driver's. */
export function dataPlanePorts(driver: DriverName | null): Needed<DriverPort>[] {
  return gather(inScope(driver), (d) => d.host.dataPlane, samePort);
}

/** The ports to check bound or free: the driver's, or with none every built driver's. */
export function meshPorts(driver: DriverName | null): Needed<DriverPort>[] {
  return gather(inScope(driver), (d) => d.ports, samePort);
}

/** The drivers that can ask their peers' clocks (clock skew is measured through them). */
export const clockDrivers = (): DriverName[] =>
  describeDrivers()
    .filter((d) => d.built && d.host.clocks)
    .map((d) => d.name);

/** A check another driver needs and the one in use does not, said as such. */
export function notNeeded(
  base: { id: string; title: string },
  driver: DriverName,
  users: readonly DriverName[],
): DoctorCheck {
  return {
    ...base,
    state: 'skip',
    detail: `not needed by ${driver}${users.length ? ` (${users.join(', ')} only)` : ''}`,
    fix: null,
  };
}

/** Who needs it, in a title, when no driver is chosen yet. */
const whose = (driver: DriverName | null, users: readonly string[]): string =>
  driver ? '' : ` (${users.join(', ')})`;

/** One check per kernel module any built driver needs: loaded, not loaded yet, or not needed by the driver. */
export function moduleChecks(driver: DriverName | null, loaded: Record<string, boolean>): DoctorCheck[] {
  const own = new Set(hostModules(driver).map((m) => m.name));
  return hostModules(null).map((m) => {
    const base = { id: m.name, title: `${m.what}${whose(driver, m.drivers)}` };
    if (driver && !own.has(m.name)) return notNeeded(base, driver, m.drivers);
    return loaded[m.name]
      ? { ...base, state: 'ok', detail: `the ${m.name} module is loaded`, fix: null }
      : {
          ...base,
          state: 'warn',
          detail: `the ${m.name} module is not loaded yet (the kernel loads it on first use if it can)`,
          fix: `modprobe ${m.name}`,
        };
  });
}

const portName = (p: DriverPort) => `${p.proto.toUpperCase()} ${p.port}`;

/** Firewall rules here that drop the data plane's ports (the driver's, or every built driver's). */
export function firewallCheck(
  driver: DriverName | null,
  drops: readonly { port: number; proto: 'udp' | 'tcp'; rules: string[] }[],
): DoctorCheck {
  const ports = dataPlanePorts(driver);
  const names = ports.map((p) => `${portName(p)}${whose(driver, p.drivers)}`).join(', ');
  const base = { id: 'firewall', title: `firewall and ${names || 'the data plane'}` };
  if (ports.length === 0) {
    const users = dataPlanePorts(null);
    return notNeeded({ ...base, title: `firewall and ${users.map(portName).join(', ')}` }, driver!, [
      ...new Set(users.flatMap((p) => p.drivers)),
    ]);
  }
  const found = ports.flatMap((p) => {
    const rules = drops.find((d) => samePort(d, p))?.rules ?? [];
    return rules.map((r) => ({ p, r }));
  });
  if (found.length === 0)
    return {
      ...base,
      state: 'ok',
      detail: `no rule here drops ${ports.map(portName).join(' or ')}`,
      fix: null,
    };
  const what = [...new Set(found.map((x) => x.p.what))].join(' and ');
  return {
    ...base,
    state: 'fail',
    detail: `a firewall rule drops ${what}: ${found.map((x) => x.r).join('; ')}`,
    fix: `iptables ${found[0]!.r.replace(/^-A /, '-D ')}`,
  };
}

/** What the overlay's MTU comes to on this underlay, per driver and data path: "1450", "1450 on fastdp". */
function overlayMtus(driver: DriverName | null, mtu: number): string {
  const each = inScope(driver).map((d) => {
    const paths = d.mtu.overhead.map((o) =>
      d.mtu.overhead.length > 1 ? `${mtu - o.bytes} on ${o.path}` : `${mtu - o.bytes}`,
    );
    const plain = d.mtu.overhead.every((o) => o.bytes === 0);
    return `${paths.join(', ')}${plain ? ' (no encapsulation)' : ''}${driver ? '' : ` (${d.name})`}`;
  });
  return each.join('; ');
}

/** The underlay's MTU and what it leaves the overlay, by the driver's overhead (or every driver's). */
export function underlayCheck(
  driver: DriverName | null,
  underlay: { dev: string; mtu: number } | { error: string },
): DoctorCheck {
  const base = { id: 'underlay', title: 'underlay MTU' };
  if ('error' in underlay)
    return { ...base, state: 'fail', detail: underlay.error, fix: 'xnet-tui launch --listen ADDRESS' };
  const gets = `${underlay.dev} mtu ${underlay.mtu}: the overlay gets ${overlayMtus(driver, underlay.mtu)}`;
  if (underlay.mtu >= 1500) return { ...base, state: 'ok', detail: gets, fix: null };
  return {
    ...base,
    state: 'warn',
    detail: `${gets}, below what a 1500-byte LAN gives (${overlayMtus(driver, 1500)})`,
    fix: `ip link set ${underlay.dev} mtu 1500 (on every host), if the network carries it`,
  };
}
