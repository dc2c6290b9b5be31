import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type Docker from 'dockerode';
import { run } from '../net/exec.js';
import { inNetns, type NetnsPath } from '../net/netns.js';
import { findUnderlay } from '../router/underlay.js';
import type { DriverName, MeshClocks } from '../router/driver.js';
import { meshPorts, type DoctorFacts } from './verdicts.js';
import { dataPlanePorts, hostModules } from './needs.js';

/** Reading this host for the preflight: files under /proc and /sys, PATH, iptables -S, dockerd. Changes nothing. */

const exists = (path: string): Promise<boolean> =>
  access(path, constants.F_OK).then(
    () => true,
    () => false,
  );

async function onPath(tool: string): Promise<boolean> {
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(delimiter);
  for (const d of [...dirs, '/usr/sbin', '/sbin'])
    if (
      await access(join(d, tool), constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return true;
  return false;
}

/**
 * Local ports with a socket bound, from /proc/net/{tcp,udp}{,6} of this process's namespace (the agent runs
 * in the host's, or the lab host's): TCP in LISTEN (0A), UDP bound at all. Pure on the files' text.
 */
export function boundPorts(tables: { proto: 'tcp' | 'udp'; text: string }[]): Set<string> {
  const out = new Set<string>();
  for (const { proto, text } of tables)
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1];
      const state = f[3];
      if (!local || (proto === 'tcp' && state !== '0A')) continue;
      out.add(`${proto}/${parseInt(local.slice(local.lastIndexOf(':') + 1), 16)}`);
    }
  return out;
}

/** Rules that drop or reject a protocol's port, from `iptables -S` output. Pure. */
export function portDrops(rules: string, p: { port: number; proto: 'udp' | 'tcp' }): string[] {
  const dport = new RegExp(`--dport ${p.port}\\b`);
  return rules
    .split('\n')
    .filter(
      (r) => /^-A /.test(r) && r.includes(`-p ${p.proto}`) && dport.test(r) && /-j (DROP|REJECT)\b/.test(r),
    );
}

/** Rules that drop or reject UDP 4789 (VXLAN). Pure. */
export const vxlanDrops = (rules: string): string[] => portDrops(rules, { port: 4789, proto: 'udp' });

export async function gatherFacts(d: {
  netns: NetnsPath;
  docker: Docker;
  listen: string | undefined;
  routerRunning: boolean;
  /** The driver in use (running, or launched before): its ports are checked; null: every driver's. */
  driver: DriverName | null;
  /** The running router's clock exchange with its peers; undefined when it has none. */
  clocks: () => Promise<MeshClocks | undefined>;
}): Promise<DoctorFacts> {
  const read = (p: string) => readFile(p, 'utf8').catch(() => '');
  const [tcp, tcp6, udp, udp6] = await Promise.all([
    read('/proc/self/net/tcp'),
    read('/proc/self/net/tcp6'),
    read('/proc/self/net/udp'),
    read('/proc/self/net/udp6'),
  ]);
  const bound = boundPorts([
    { proto: 'tcp', text: tcp + tcp6 },
    { proto: 'udp', text: udp + udp6 },
  ]);
  const nf = (await read('/proc/sys/net/bridge/bridge-nf-call-iptables')).trim();
  const tools = ['clang', 'bpftool', 'tc', 'serf', 'fping', 'iptables'] as const;
  const found = await Promise.all(tools.map(onPath));
  const [file, args] = inNetns(d.netns, 'iptables', ['-w', '5', '-S']);
  const rules = await run(file, args).then(
    (r) => r.stdout,
    () => '',
  );
  const underlay = await findUnderlay(d.netns, d.listen).then(
    (u) => ({ dev: u.dev, mtu: u.mtu }),
    (err: Error) => ({ error: err.message }),
  );
  const docker = await d.docker.info().then(
    (i: { LiveRestoreEnabled?: boolean; ServerVersion?: string }) => ({
      reachable: true as const,
      liveRestore: Boolean(i.LiveRestoreEnabled),
      version: `dockerd ${i.ServerVersion ?? '?'}`,
    }),
    (err: Error) => ({ reachable: false as const, error: err.message }),
  );
  const clocks = d.routerRunning
    ? await d.clocks().then(
        (c) => c ?? null,
        (err: Error) => ({ error: err.message }),
      )
    : null;
  return {
    clocks,
    // Every built driver's modules and data-plane ports are read; the verdicts skip what the driver in use lacks.
    modules: Object.fromEntries(
      await Promise.all(hostModules(null).map(async (m) => [m.name, await exists(`/sys/module/${m.name}`)])),
    ) as Record<string, boolean>,
    brNetfilter: nf === '' ? null : Number(nf),
    bpffs: /\sbpf\s/.test(await read('/proc/self/mounts')),
    tools: Object.fromEntries(tools.map((t, i) => [t, found[i]!])) as DoctorFacts['tools'],
    driver: d.driver,
    ports: meshPorts(d.driver).map((p) => ({
      port: p.port,
      proto: p.proto,
      bound: bound.has(`${p.proto}/${p.port}`),
    })),
    drops: dataPlanePorts(null).map((p) => ({ port: p.port, proto: p.proto, rules: portDrops(rules, p) })),
    routerRunning: d.routerRunning,
    underlay,
    docker,
  };
}
