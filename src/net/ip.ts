import { forgetLinks } from './batch-session.js';
import { run } from './exec.js';
import { inNetns, type NetnsPath } from './netns.js';

/** iproute2, the only way this project changes the kernel's network state: `ip -json` to read, `ip -batch` to write. */

export interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate?: string;
  master?: string;
  address?: string;
  link_netnsid?: number;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
}

export interface IpAddrInfo {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  label?: string;
}

export interface IpAddr extends IpLink {
  addr_info: IpAddrInfo[];
}

export interface IpRoute {
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
}

export async function ipJson<T>(netns: NetnsPath, args: readonly string[]): Promise<T> {
  const [file, argv] = inNetns(netns, 'ip', ['-json', ...args]);
  const { stdout } = await run(file, argv);
  const text = stdout.trim();
  return (text ? JSON.parse(text) : []) as T;
}

/** Applies many changes in one process; iproute2 stops at the first failing line and reports it. */
export async function ipBatch(netns: NetnsPath, lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return;
  const [file, argv] = inNetns(netns, 'ip', ['-batch', '-']);
  try {
    await run(file, argv, { input: lines.join('\n') + '\n' });
  } finally {
    // Even a batch that failed part-way may have made or removed a device.
    for (const [ns, names] of linksTouched(netns, lines)) forgetLinks(ns, names);
  }
}

/**
 * The devices `ip -batch` lines make, remove or move, by the namespace they were or are now in (a move's
 * `netns NAME` or `netns PID` as written). Pure.
 */
export function linksTouched(netns: NetnsPath, lines: readonly string[]): Map<NetnsPath | string, string[]> {
  const out = new Map<NetnsPath | string, string[]>();
  const add = (ns: NetnsPath | string, name: string): void =>
    void out.set(ns, [...(out.get(ns) ?? []), name]);
  for (const l of lines) {
    const made = /^\s*link\s+(?:add|del|delete)\s+(?:dev\s+|name\s+)?(\S+)/.exec(l);
    if (made) add(netns, made[1]!);
    const peer = /\bpeer\s+name\s+(\S+)/.exec(l);
    if (made && peer) add(netns, peer[1]!);
    const moved = /^\s*link\s+set\s+(?:dev\s+)?(\S+)\s.*\bnetns\s+(\S+)/.exec(l);
    if (moved) {
      add(netns, moved[1]!);
      add(moved[2]!, moved[1]!);
    }
  }
  return out;
}

export function links(netns: NetnsPath, detailed = false): Promise<IpLink[]> {
  return ipJson<IpLink[]>(netns, detailed ? ['-details', 'link', 'show'] : ['link', 'show']);
}

export async function link(netns: NetnsPath, name: string, detailed = false): Promise<IpLink | undefined> {
  try {
    const found = await ipJson<IpLink[]>(
      netns,
      detailed ? ['-details', 'link', 'show', 'dev', name] : ['link', 'show', 'dev', name],
    );
    return found[0];
  } catch (err) {
    if (/does not exist|Cannot find device/.test(String((err as { stderr?: string }).stderr ?? err)))
      return undefined;
    throw err;
  }
}

export function addrs(netns: NetnsPath, dev?: string): Promise<IpAddr[]> {
  return ipJson<IpAddr[]>(netns, dev ? ['addr', 'show', 'dev', dev] : ['addr', 'show']);
}

export function routes4(netns: NetnsPath): Promise<IpRoute[]> {
  return ipJson<IpRoute[]>(netns, ['-4', 'route', 'show', 'table', 'main']);
}
