import { spawn } from 'node:child_process';
import { AgentConnection } from '../../src/agent/rpc.js';
import type { Method, Params, Result } from '../../src/api/index.js';
import { LAN_NETNS, type LabHost } from '../../src/lab/layout.js';
import { namedNetns, overlayNetnsName } from '../../src/net/overlay.js';
import type { RouterStatus } from '../../src/router/driver.js';
import type { LabHostStatus } from '../../src/lab/lab.js';
import type { LabFootprint } from '../../src/lab/footprint.js';
import { labSh, sh, xnet, xnetJson, type CliResult } from './cli.js';

/** Lab-test helpers the driver suites share: a command in a host's namespace, its router, a ping, the wire. */

export const nsh = (h: LabHost, argv: string[]): string =>
  sh('nsenter', [`--net=${h.netnsPath}`, '--', ...argv]);

/** The host's overlay namespace (vxlan: the bridge, the VXLAN device, the containers' host-side veths). */
export const overlayOf = (h: LabHost): string => namedNetns(overlayNetnsName(h.agentStateDir));

/** A command in `h`'s overlay namespace. */
export const osh = (h: LabHost, argv: string[]): string =>
  sh('nsenter', [`--net=${overlayOf(h)}`, '--', ...argv]);

/** How a suite wants its lab: `lab up`'s options, as flags. */
export interface LabUp {
  hosts: number;
  /** false: no dockerd on any host (`--no-docker`), but those in `dockerOn`. */
  docker?: false;
  dockerOn?: string[];
  /** false: no standby agent (`--no-standby`). */
  standby?: false;
}

export const labUpArgs = (o: LabUp): string[] => [
  'lab',
  'up',
  '--hosts',
  String(o.hosts),
  ...(o.docker === false ? ['--no-docker'] : []),
  ...(o.standby === false ? ['--no-standby'] : []),
  ...(o.dockerOn ? ['--docker-on', o.dockerOn.join(',')] : []),
];

/** `lab up` with `--json`: its hosts and footprint (throws, with the output, when it fails). */
export const labUp = (o: LabUp): Promise<{ hosts: LabHostStatus[]; footprint: LabFootprint }> =>
  xnetJson(labUpArgs(o));

/** `lab up` run as the CLI: its exit code and output (the human form; an error with `--json`). */
export const labUpCli = (o: LabUp, more: string[] = []): Promise<CliResult> =>
  xnet([...labUpArgs(o), ...more]);

/**
 * One call to a lab agent over its socket, opened for it and closed after: no CLI process per look, so a loaded
 * machine polls as often. `openMs`: how long the socket may take to accept. Rejects with the agent's XnetError
 * when it answers with one, and with the socket's error when no agent listens.
 */
export async function agentCall<M extends Method>(
  h: { agentSocket: string },
  method: M,
  params = {} as Params<M>,
  openMs = 10_000,
): Promise<Result<M>> {
  const c = await AgentConnection.open(h.agentSocket, openMs);
  try {
    return await c.call(method, params);
  } finally {
    c.close();
  }
}

export async function router(host: string): Promise<RouterStatus> {
  return (await xnetJson<{ router: RouterStatus }>(['--lab', host, 'status'])).router;
}

/** Whether `from` (a container on `host`) gets an answer from `to`. */
export function ping(host: string, from: string, to: string): boolean {
  try {
    labSh(host, ['docker', 'exec', from, 'ping', '-c', '2', '-W', '2', to]);
    return true;
  } catch {
    return false;
  }
}

/** What tcpdump on `h`'s cable in the LAN namespace prints for `filter` while `during` runs. */
export async function onTheWire(h: LabHost, filter: string, during: () => void): Promise<string> {
  const dump = spawn('nsenter', [
    `--net=/run/netns/${LAN_NETNS}`,
    '--',
    'tcpdump',
    '-l',
    '-n',
    '-i',
    h.name,
    filter,
  ]);
  let out = '';
  dump.stdout.on('data', (b: Buffer) => (out += b.toString()));
  let ready = '';
  await new Promise<void>((resolve) =>
    dump.stderr.on('data', (b: Buffer) => {
      ready += b.toString();
      if (ready.includes('listening on')) resolve();
    }),
  );
  during();
  await new Promise((r) => setTimeout(r, 500));
  dump.kill('SIGINT');
  await new Promise((r) => dump.once('exit', r));
  return out;
}

/**
 * tcpdump writing every frame on `dev` in `h`'s namespace to `file` (128 bytes of each), from when it listens
 * until `stop`, which resolves with the frames the kernel dropped (0 for a witness to count against).
 */
export function dumpTo(h: LabHost, dev: string, file: string): Promise<{ stop: () => Promise<number> }> {
  return dumpIn(h.netnsPath, dev, file);
}

/** As dumpTo, in the namespace at `netns` (a host's overlay, a container's), of the frames matching `filter`. */
export async function dumpIn(
  netns: string,
  dev: string,
  file: string,
  filter?: string,
): Promise<{ stop: () => Promise<number> }> {
  const child = spawn('nsenter', [
    `--net=${netns}`,
    '--',
    'tcpdump',
    '-i',
    dev,
    '-s',
    '128',
    '-B',
    '65536',
    '-w',
    file,
    ...(filter ? [filter] : []),
  ]);
  let err = '';
  const exited = new Promise<number>((resolve) =>
    child.on('exit', () => resolve(Number(/(\d+) packets dropped by kernel/.exec(err)?.[1] ?? NaN))),
  );
  await new Promise<void>((resolve) =>
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('listening on')) resolve();
    }),
  );
  return {
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}
