import { bridge } from './bridge/description.js';
import type { DriverDescription, LaunchFieldKey } from './description.js';
import { lanDetailsOf, ovsOf, type DriverName, type RouterStatus } from './driver.js';
import { ovsGre } from './ovs-gre/description.js';
import { vxlan } from './vxlan/description.js';
import { weave } from './weave/description.js';

/** Every driver's description, in DriverName's order; the first is the default. No node-only imports. */
const DESCRIPTIONS: Record<DriverName, DriverDescription> = {
  vxlan,
  bridge,
  'ovs-gre': ovsGre,
  weave,
};

export function describeDrivers(): DriverDescription[] {
  return Object.values(DESCRIPTIONS);
}

export function describeDriver(name: DriverName): DriverDescription {
  return DESCRIPTIONS[name];
}

/** The driver launch uses when none is named. */
export const DEFAULT_DRIVER: DriverName = 'vxlan';

/** The CLI's help for one launch option: its text, prefixed with the drivers that take it when not all do. */
export function launchOptionHelp(key: LaunchFieldKey): string {
  const built = describeDrivers().filter((d) => d.built);
  const taking = built.filter((d) => d.launch.some((f) => f.key === key));
  const helps = taking.map((d) => d.launch.find((f) => f.key === key)?.help ?? '');
  if (taking.length === built.length && new Set(helps).size === 1) return helps[0] ?? '';
  // Drivers that word the field differently (bridge's slice, ovs-gre's subnet) each say it their way.
  if (new Set(helps).size > 1) return taking.map((d, i) => `${d.name}: ${helps[i]}`).join('; ');
  return `${taking.map((d) => d.name).join(', ')}: ${helps[0]}`;
}

/** A running router's settings, as the launch form starts from them. */
export function launchValues(r: RouterStatus): Partial<Record<LaunchFieldKey, string>> {
  return {
    ...(r.nickname ? { nickname: r.nickname } : {}),
    ...(r.range ? { range: r.range } : {}),
    ...(ovsOf(r)?.subnet ? { subnet: ovsOf(r)!.subnet! } : {}),
    ...(lanDetailsOf(r)?.slice ? { subnet: lanDetailsOf(r)!.slice! } : {}),
  };
}
