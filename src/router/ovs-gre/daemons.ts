import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { failed } from '../../errors.js';
import { run } from '../../net/exec.js';
import { Ovs } from './ovs.js';
import { poll } from '../../poll.js';

/**
 * Which Open vSwitch this host's router drives, and the datapath it uses. A host whose OVS service runs (in
 * the namespace we are in) keeps it; otherwise the agent runs its own ovsdb-server and ovs-vswitchd from a
 * directory in its state dir (the lab: one pair per lab host, inside its namespace). They are daemons
 * (--detach), not children: the data plane outlives an agent restart, as the service's would.
 */

export type Datapath = 'netdev' | 'system';

export interface OvsSwitch {
  ovs: Ovs;
  daemons: 'private' | 'system';
  datapath: Datapath;
}

const SYSTEM_DB = '/run/openvswitch/db.sock';
const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
const DAEMONS = ['ovs-vswitchd', 'ovsdb-server'] as const;

export function privateDir(stateDir: string): string {
  return join(stateDir, 'ovs');
}

function privateSwitch(stateDir: string): Ovs {
  const dir = privateDir(stateDir);
  return new Ovs({
    db: `unix:${join(dir, 'db.sock')}`,
    vswitchdCtl: join(dir, 'ovs-vswitchd.ctl'),
    env: { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir },
  });
}

/** The host's service only counts in the host's own namespace: a lab host must never drive the root's switch. */
function inInitNetns(): boolean {
  try {
    return readlinkSync('/proc/self/ns/net') === readlinkSync('/proc/1/ns/net');
  } catch {
    return false;
  }
}

/** The kernel datapath where the openvswitch module is (or loads, as ovs-ctl would load it); userspace otherwise. */
export async function detectDatapath(): Promise<Datapath> {
  if (existsSync('/sys/module/openvswitch')) return 'system';
  await run('modprobe', ['-q', 'openvswitch'], { timeoutMs: 10_000 }).catch(() => undefined);
  return existsSync('/sys/module/openvswitch') ? 'system' : 'netdev';
}

/** A daemon of ours, by its pidfile, only if its command line names our directory (never someone else's). */
export function privatePid(stateDir: string, daemon: (typeof DAEMONS)[number]): number | undefined {
  const dir = privateDir(stateDir);
  try {
    const pid = Number(readFileSync(join(dir, `${daemon}.pid`), 'utf8').trim());
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!Number.isInteger(pid) || !cmdline.includes(dir)) return undefined;
    if (/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return undefined;
    return pid;
  } catch {
    return undefined;
  }
}

/** The switch to use, started if it is ours and not running. */
export async function openSwitch(stateDir: string, log: (msg: string) => void): Promise<OvsSwitch> {
  const datapath = await detectDatapath();
  if (inInitNetns() && existsSync(SYSTEM_DB)) {
    const system = new Ovs({ db: `unix:${SYSTEM_DB}`, vswitchdCtl: undefined, env: undefined });
    if (await system.answers(true)) return { ovs: system, daemons: 'system', datapath };
  }
  const ovs = privateSwitch(stateDir);
  if (
    privatePid(stateDir, 'ovsdb-server') &&
    privatePid(stateDir, 'ovs-vswitchd') &&
    (await ovs.answers(true))
  )
    return { ovs, daemons: 'private', datapath };
  await stopPrivateSwitch(stateDir);
  await startPrivateSwitch(stateDir, ovs);
  log(`started a private Open vSwitch (${datapath} datapath) in ${privateDir(stateDir)}`);
  return { ovs, daemons: 'private', datapath };
}

async function startPrivateSwitch(stateDir: string, ovs: Ovs): Promise<void> {
  const dir = privateDir(stateDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const db = join(dir, 'conf.db');
  const env = { env: { ...process.env, ...ovs.target.env }, timeoutMs: 20_000 };
  const common = (d: string) => [
    `--pidfile=${join(dir, `${d}.pid`)}`,
    `--unixctl=${join(dir, `${d}.ctl`)}`,
    `--log-file=${join(dir, `${d}.log`)}`,
    '--detach',
    '--no-chdir',
  ];
  try {
    if (!existsSync(db)) await run('ovsdb-tool', ['create', db, SCHEMA], env);
    await run('ovsdb-server', [db, `--remote=punix:${join(dir, 'db.sock')}`, ...common('ovsdb-server')], env);
    await ovs.vsctl(['--no-wait', 'init']);
    await run('ovs-vswitchd', [ovs.target.db, ...common('ovs-vswitchd')], env);
  } catch (err) {
    await stopPrivateSwitch(stateDir);
    throw failed(
      `could not start Open vSwitch: ${(err as Error).message}`,
      `is openvswitch-switch installed (scripts/setup-host.sh)? logs: ${dir}`,
    );
  }
}

/** Stops our daemons (vswitchd first, so it lets go of its ports), by their PIDs. */
export async function stopPrivateSwitch(stateDir: string): Promise<void> {
  for (const d of DAEMONS) {
    const pid = privatePid(stateDir, d);
    if (!pid) continue;
    process.kill(pid, 'SIGTERM');
    const gone = () => (privatePid(stateDir, d) === pid ? undefined : true);
    if (!(await poll(gone, { everyMs: 50, withinMs: 5_000 }))) process.kill(pid, 'SIGKILL');
  }
}

/** Removes the private switch's directory (database, logs, sockets) once its daemons are gone. */
export async function removePrivateSwitch(stateDir: string): Promise<void> {
  await stopPrivateSwitch(stateDir);
  await rm(privateDir(stateDir), { recursive: true, force: true });
}

/** The switch reset should clean, without starting anything: undefined when none answers. */
export async function existingSwitch(stateDir: string): Promise<Ovs | undefined> {
  const ovs = privateSwitch(stateDir);
  if (privatePid(stateDir, 'ovsdb-server') && (await ovs.answers(false))) return ovs;
  if (inInitNetns() && existsSync(SYSTEM_DB)) {
    const system = new Ovs({ db: `unix:${SYSTEM_DB}`, vswitchdCtl: undefined, env: undefined });
    if (await system.answers(false)) return system;
  }
  return undefined;
}
