import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import Docker from 'dockerode';
import { failed, badInput } from '../errors.js';
import { run } from '../net/exec.js';
import { overlayNetnsName, removeNamedNetns } from '../net/overlay.js';
import { CLI_MAIN } from '../agent/client.js';
import { stopDriverDaemons } from '../router/registry.js';
import { pinsFor, unloadCounters } from '../telemetry/bpf/kernel.js';
import { admitPinsFor, unloadAdmit } from '../net/vxlan-admit-bpf.js';
import { ensureImage } from './image.js';
import { resolveLabHost } from './resolve.js';
import { startLabDockerd } from './dockerd.js';
import { agentAnswers, ensureSupervisedAgent } from './supervisor.js';
import { alive, pidsMentioning, readPid, terminate } from './process.js';
import { measureFootprint, type LabFootprint } from './footprint.js';
import { PIN_NEIGHBOURS_ABOVE, pinUnderlayNeighbours } from './neighbours.js';
import { ensureGateway, ensureHostNetwork, ensureLan, netnsList } from './cabling.js';
import {
  LAB_DATA,
  LAB_RUN,
  LAN_NETNS,
  MAX_HOSTS,
  NETNS_PREFIX,
  hostIndex,
  labHost,
  type LabHost,
} from './layout.js';

const REQUIRED = ['ip', 'nsenter', 'dockerd', 'iptables', 'busybox', 'tar'];

export interface LabHostStatus {
  name: string;
  netns: string;
  address: string;
  netnsUp: boolean;
  /** `wanted`: false for a host brought up with `--no-docker`, whose dockerd is absent by choice. */
  dockerd: { pid: number | null; answering: boolean; containers: number | null; wanted: boolean };
  agent: { pid: number | null; answering: boolean; socket: string };
}

/** Lab hosts that exist now, from the namespaces themselves (so `down` works even if runtime files are gone). */
export function existingHosts(): LabHost[] {
  return netnsList()
    .map((n) => hostIndex(n.slice(NETNS_PREFIX.length)))
    .filter((i): i is number => i !== undefined)
    .sort((a, b) => a - b)
    .map(labHost);
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function checkPrerequisites(): void {
  const missing = REQUIRED.filter((cmd) => !onPath(cmd));
  if (missing.length > 0) {
    throw failed(
      `missing on this host: ${missing.join(', ')}`,
      'run `npm run setup` (scripts/setup-host.sh) to install them',
    );
  }
  if (!existsSync(CLI_MAIN)) throw failed(`${CLI_MAIN} is not built`, 'run `npm run build`');
}

function dockerOf(h: LabHost): Docker {
  return new Docker({ socketPath: h.dockerSocket });
}

async function ensureDockerd(h: LabHost): Promise<void> {
  const docker = dockerOf(h);
  if (!(
    alive(readPid(h.dockerPidfile)) &&
    (await docker.ping().then(
      () => true,
      () => false,
    ))
  ))
    await startLabDockerd(h);
  await ensureImage(docker);
}

export interface LabUpOptions {
  /** A dockerd per host (default); without, hosts carry the mesh but no containers (the scale bench). */
  docker?: boolean;
  /** A standby agent beside each agent; default: up to STANDBY_UP_TO hosts (at 50, 50 more Node processes). */
  standby?: boolean;
  /** With `docker: false`, these hosts get a dockerd all the same: containers at the ends of a 50-host mesh. */
  dockerOn?: readonly string[];
}

/** `--docker-on h1,h50`: host names within 1..hosts, checked before anything is made. */
export function dockerHosts(names: readonly string[], hosts: number): Set<string> {
  for (const name of names) {
    const i = hostIndex(name);
    if (i === undefined || i > hosts)
      throw badInput(
        'docker-on',
        `--docker-on ${name} is not one of h1..h${hosts}`,
        `give host names of this lab, comma-separated: --docker-on h1,h${hosts}`,
      );
  }
  return new Set(names);
}

/** Above this many hosts `lab up` keeps no standby agents unless asked (`--standby`). */
export const STANDBY_UP_TO = 10;
/** Hosts brought up at once: loading an agent is ~0.4 s of CPU, so 50 at once only queue on 2 cores. */
const AT_ONCE = 6;

/** `fn` over `items`, at most `n` at once, results in order. */
async function inTurns<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

/** Builds (or completes) an N-host lab; running it twice changes nothing the second time. */
export async function labUp(
  hosts: number,
  onProgress: (msg: string) => void = () => undefined,
  opts: LabUpOptions = {},
): Promise<{ hosts: LabHostStatus[]; footprint: LabFootprint }> {
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS) {
    throw badInput('hosts', `--hosts ${hosts} is out of range`, `give 1 to ${MAX_HOSTS}`);
  }
  const started = Date.now();
  const docker = opts.docker ?? true;
  const dockerOn = dockerHosts(opts.dockerOn ?? [], hosts);
  const standby = opts.standby ?? hosts <= STANDBY_UP_TO;
  checkPrerequisites();
  mkdirSync(LAB_RUN, { recursive: true });
  await ensureLan();
  await ensureGateway();
  const wanted = Array.from({ length: hosts }, (_, i) => labHost(i + 1));
  const cabled = await inTurns(wanted, AT_ONCE, ensureHostNetwork);
  // Pinned again only when a host was cabled now (a new host, or one whose namespace went): the others' entries
  // stay in their namespaces, and re-pinning 50 hosts was 100 more processes for a `lab up` that restarts one.
  if (hosts > PIN_NEIGHBOURS_ABOVE && cabled.some(Boolean)) await pinUnderlayNeighbours(wanted);
  onProgress(`network: ${LAN_NETNS} + ${wanted.map((h) => h.netns).join(', ')}`);
  const queue = [...wanted];
  const worker = async (): Promise<void> => {
    for (let h = queue.shift(); h; h = queue.shift()) {
      mkdirSync(h.runDir, { recursive: true });
      const withDocker = docker || dockerOn.has(h.name);
      if (withDocker) {
        rmSync(h.noDockerdMark, { force: true });
        await ensureDockerd(h);
      } else writeFileSync(h.noDockerdMark, '');
      // A queue of hosts loading at once on a busy machine: give each agent time in proportion.
      await ensureSupervisedAgent(h, { standby, timeoutMs: Math.max(15_000, hosts * 1_500) });
      onProgress(`${h.name}: ${withDocker ? 'dockerd and agent' : 'agent (no dockerd)'} up`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, hosts) }, worker));
  const status = await labStatus();
  return { hosts: status, footprint: measureFootprint(wanted, (Date.now() - started) / 1000) };
}

/** Removes every trace: containers, agents, dockerds and their children, mounts, namespaces, runtime and data files. */
export async function labDown(onProgress: (msg: string) => void = () => undefined): Promise<void> {
  const hosts = existingHosts();
  await Promise.all(
    hosts.map(async (h) => {
      // The supervisor first, or it would start the agent again.
      await terminate(readPid(h.supervisorPidfile), 8_000);
      await terminate(readPid(h.agentPidfile), 5_000);
      const docker = dockerOf(h);
      const containers = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(
        containers.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true })
            .catch(() => undefined),
        ),
      );
      await terminate(readPid(h.dockerPidfile), 20_000);
      // Daemons a driver keeps past its agent (ovs-gre's switch), through the drivers' own hook.
      await stopDriverDaemons(h.agentStateDir);
      // The agent's pinned eBPF programs (counters, VXLAN admission) outlive it (and its namespace) until their pins go.
      await unloadCounters(pinsFor(h.agentStateDir)).catch(() => undefined);
      await unloadAdmit(admitPinsFor(h.agentStateDir)).catch(() => undefined);
      // The agent's overlay namespace is pinned to outlive it; named after its state dir, so only this lab's goes.
      await removeNamedNetns(overlayNetnsName(h.agentStateDir)).catch(() => undefined);
      onProgress(`${h.name}: stopped`);
    }),
  );
  // Children of our dockerds (containerd, shims) that outlived them, found by the lab paths they were given.
  for (const root of [LAB_RUN, LAB_DATA])
    for (const pid of pidsMentioning(`${root}/`)) await terminate(pid, 5_000);
  await unmountUnder([LAB_RUN, LAB_DATA]);
  for (const ns of netnsList()) await run('ip', ['netns', 'del', ns]);
  await rm(LAB_RUN, { recursive: true, force: true });
  await rm(LAB_DATA, { recursive: true, force: true });
  onProgress('lab removed');
}

async function unmountUnder(roots: string[]): Promise<void> {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => roots.some((r) => m === r || m.startsWith(r + '/')))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await run('umount', ['-l', m]).catch(() => undefined);
}

export async function labStatus(): Promise<LabHostStatus[]> {
  const present = new Set(netnsList());
  const hosts = existingHosts();
  return Promise.all(
    hosts.map(async (h) => {
      const dockerPid = readPid(h.dockerPidfile);
      const agentPid = readPid(h.agentPidfile);
      const containers = await dockerOf(h)
        .listContainers({ all: true })
        .then(
          (l) => l.length,
          () => null,
        );
      return {
        name: h.name,
        netns: h.netns,
        address: h.address,
        netnsUp: present.has(h.netns),
        dockerd: {
          pid: alive(dockerPid) ? dockerPid! : null,
          answering: containers !== null,
          containers,
          wanted: !existsSync(h.noDockerdMark),
        },
        agent: {
          pid: alive(agentPid) ? agentPid! : null,
          answering: await agentAnswers(h),
          socket: h.agentSocket,
        },
      };
    }),
  );
}

export { resolveLabHost };

/** Runs a command inside a lab host, with docker and xnet-tui pointed at that host's daemons. */
export function labExec(name: string, argv: string[]): number {
  const h = resolveLabHost(name);
  if (argv.length === 0)
    throw badInput('command', 'no command given', 'example: xnet-tui lab exec h2 -- docker ps');
  const res = spawnSync('nsenter', [`--net=${h.netnsPath}`, '--', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, DOCKER_HOST: h.dockerHost, XNET_SOCKET: h.agentSocket, XNET_LAB_HOST: h.name },
  });
  if (res.error) throw failed(`could not run ${argv[0]}: ${res.error.message}`);
  return res.status ?? 1;
}
