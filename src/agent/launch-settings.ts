// What a launch asks for, checked before anything changes: the peers, the underlay, the range, the MTU and the
// password, merged with the settings on disk. The router's lifecycle that runs them is mesh.ts.
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { badInput } from '../errors.js';
import { routes4 } from '../net/ip.js';
import type { NetnsPath } from '../net/netns.js';
import type { LaunchSettings } from '../router/driver.js';
import { DEFAULT_DRIVER } from '../router/descriptions.js';
import { checkDriver } from '../router/registry.js';
import { checkRange, DEFAULT_RANGE, findUnderlay } from '../router/underlay.js';
import { readPasswordFile } from '../router/password.js';
import type { Params } from '../api/index.js';
import { refuseNewPassword } from './mesh-keys.js';
import { checkMtu } from './mtu.js';

/** `host` or `host:port`, IPv4: what connect and forget take. */
export function parsePeer(text: string): string {
  const [host, port, ...rest] = text.split(':');
  const portOk = port === undefined || (/^\d{1,5}$/.test(port) && Number(port) > 0 && Number(port) < 65536);
  if (!host || rest.length > 0 || !ipaddr.IPv4.isValidFourPartDecimal(host) || !portOk) {
    throw badInput(
      'peer',
      `"${text}" is not a peer address`,
      "give the peer's underlay address, e.g. 198.18.0.2 or 198.18.0.2:7946",
    );
  }
  return text;
}

/**
 * The settings a launch runs: its parameters over the `prior` ones on disk, and the warnings they earn. Throws
 * bad input (naming the field) for a driver switch without a reset, --confirm on a relaunch, a bad peer, range,
 * MTU or password file. The driver's own rules are checked after, by the driver (mesh.ts).
 */
export async function launchSettings(
  p: Params<'launch'>,
  prior: LaunchSettings | undefined,
  d: { netns: NetnsPath; bridge: string; stateDir: string },
): Promise<{ settings: LaunchSettings; warnings: string[] }> {
  const driver = p.driver ?? prior?.driver ?? DEFAULT_DRIVER;
  if (prior && prior.driver !== driver) {
    throw badInput(
      'driver',
      `this host's router is ${prior.driver} (${prior.running ? 'running' : 'stopped'}); switching to ${driver} ` +
        `needs a reset first, which takes the ${prior.driver} router down and forgets its settings and peers`,
      `run \`xnet-tui reset\` (attachments stay), then \`xnet-tui launch --driver ${driver}\``,
      'needs_reset',
    );
  }
  checkDriver(driver);
  if (p.confirm !== undefined && prior)
    throw badInput(
      'confirm',
      'only a first launch can wait for confirmation: undoing a relaunch would lose the settings it changed',
      `launch without --confirm, or \`xnet-tui reset\` first`,
    );
  const peers = (p.peers ?? []).map(parsePeer);
  const underlay = await findUnderlay(d.netns, p.listen ?? prior?.listen);
  const range = p.range ?? prior?.range ?? DEFAULT_RANGE;
  const warnings = checkRange(
    range,
    await routes4(d.netns),
    p.range !== undefined || prior?.range !== undefined,
    d.bridge,
  );
  const mtu = checkMtu(driver, p.mtu, underlay);
  const passwordFile = p.passwordFile ? resolve(p.passwordFile) : prior?.passwordFile;
  const password = passwordFile ? await readPasswordFile(passwordFile) : undefined;
  if (prior?.running && p.passwordFile !== undefined)
    await refuseNewPassword(prior.passwordFile, password, d.stateDir);
  const settings: LaunchSettings = {
    driver,
    nickname: p.nickname ?? prior?.nickname ?? hostname(),
    listen: underlay.address,
    range,
    ...(passwordFile ? { passwordFile } : {}),
    ...((p.subnet ?? prior?.subnet) ? { subnet: p.subnet ?? prior?.subnet } : {}),
    ...((p.lan ?? prior?.lan) ? { lan: { ...prior?.lan, ...p.lan } } : {}),
    ...((mtu ?? prior?.mtu) ? { mtu: mtu ?? prior?.mtu } : {}),
    peers: [...new Set([...(prior?.peers ?? []), ...peers])],
    running: true,
  };
  return { settings, warnings };
}
