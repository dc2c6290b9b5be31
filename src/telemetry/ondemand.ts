import { fork, type ChildProcess } from 'node:child_process';
import { isAbsolute } from 'node:path';
import type { Params, Result } from '../api/index.js';
import type { DesiredState } from '../api/state.js';
import { badInput, failed } from '../errors.js';
import { run } from '../net/exec.js';
import { hostVethName } from '../net/veth.js';
import type { NetnsPath } from '../net/netns.js';
import type { RouterStatus } from '../router/driver.js';
import type { OnDemandConfig, OnDemandMessage } from './ondemand-child.js';

/** Frames are kept whole up to this (a 64 KB GSO packet is cut, as tcpdump's default would). */
const SNAPLEN = 65_535;

export interface OnDemandDeps {
  store: DesiredState;
  router: () => Promise<RouterStatus>;
  /** The tunnel (device, port) whose peers can be told apart, as telemetry counts it. */
  tunnel: () => Promise<{ device: string; port: number } | undefined>;
  /** Where the containers' host-side veths are (the overlay namespace), as telemetry counts them. */
  vethNetns: () => Promise<NetnsPath>;
  /** A running container's own namespace; undefined when it is not running. */
  containerNetns: (containerId: string) => Promise<NetnsPath | undefined>;
}

/** Which port to open and the kernel filter for it; refuses unknown targets and bad filters (exit 2). */
export async function resolveCapture(
  d: OnDemandDeps,
  p: Params<'capture'>,
): Promise<{ dev: string; filter: string; target: string; netns?: NetnsPath }> {
  const user = p.filter?.trim() ?? '';
  if (p.write !== undefined && !isAbsolute(p.write))
    throw badInput(
      'write',
      `${p.write} is not an absolute path`,
      'the CLI makes it absolute; give /path/file.pcap',
    );
  let dev: string;
  let base = '';
  let target: string;
  let netns: NetnsPath;
  if (p.container !== undefined) {
    const a = d.store.current.attachments.find(
      (x) => x.containerName === p.container || x.containerId.startsWith(p.container!),
    );
    if (!a)
      throw badInput(
        'container',
        `no attached container "${p.container}" on this host`,
        '`xnet-tui ps` lists them',
      );
    // The container's own interface, in its namespace: the fast path (telemetry/fast-path.ts) hands the
    // frames the tunnel brings straight into it, past the host-side veth, where a capture would miss them.
    // A container not running (no namespace to enter) is looked at from its host-side veth.
    netns = await d.containerNetns(a.containerId);
    dev = netns ? a.ifname : hostVethName(a.containerId);
    netns ??= await d.vethNetns();
    target = a.containerName;
  } else {
    const r = await d.router();
    const peer = r.peers.find((x) => !x.self && [x.nickname, x.address, x.name].includes(p.peer!));
    if (!peer)
      throw badInput(
        'peer',
        `no peer "${p.peer}" in the mesh`,
        '`xnet-tui status peers` lists them (nickname or address)',
      );
    const tunnel = await d.tunnel();
    if (!tunnel)
      throw badInput(
        'peer',
        `the ${r.driver} router has no tunnel to capture a peer on`,
        'capture a container instead',
      );
    dev = tunnel.device;
    base = `udp port ${tunnel.port} and host ${peer.address}`;
    target = `peer ${peer.nickname || peer.address}`;
  }
  if (user) {
    // Compiled, not run: a filter that libpcap refuses is bad input, and nothing was opened.
    await run('tcpdump', ['-y', 'EN10MB', '-d', user], { timeoutMs: 5_000 }).catch(() => {
      throw badInput(
        'filter',
        `"${user}" is not a filter libpcap compiles`,
        'pcap-filter(7) syntax, e.g. "icmp" or "tcp port 80"',
      );
    });
  }
  const filter = base && user ? `(${base}) and (${user})` : base || user || 'greater 0';
  return { dev, filter, target, ...(netns ? { netns } : {}) };
}

/**
 * The one place a capture process is started (the command's and the view's): in the namespace resolveCapture
 * found the port in. A veth in the overlay namespace is opened from inside it: node started through nsenter
 * (net only, so /sys/fs/bpf and the agent's files stay as they are).
 */
export function forkCapture(
  script: 'ondemand-child' | 'live-child',
  env: Record<string, string>,
  netns?: string,
): ChildProcess {
  return fork(new URL(`./${script}.js`, import.meta.url), [], {
    ...(netns ? { execPath: 'nsenter', execArgv: [`--net=${netns}`, '--', process.execPath] } : {}),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export async function captureOnDemand(d: OnDemandDeps, p: Params<'capture'>): Promise<Result<'capture'>> {
  const { dev, filter, target, netns } = await resolveCapture(d, p);
  const cfg: OnDemandConfig = {
    dev,
    filter,
    count: p.count ?? 20,
    seconds: p.seconds ?? 10,
    write: p.write ?? null,
    snaplen: SNAPLEN,
  };
  const child = forkCapture('ondemand-child', { XNET_ONDEMAND: JSON.stringify(cfg) }, netns);
  const msg = await new Promise<OnDemandMessage>((resolve) => {
    child.on('message', (m: OnDemandMessage) => resolve(m));
    child.on('exit', (code, signal) =>
      resolve({ type: 'error', message: `capture process exited (${signal ?? `code ${code}`})` }),
    );
    // It ends itself after `seconds`; this is for one that hangs.
    setTimeout(() => child.kill('SIGKILL'), cfg.seconds * 1000 + 5_000).unref();
  });
  if (msg.type === 'error') throw failed(`capture on ${dev}: ${msg.message}`);
  return {
    target,
    interface: dev,
    filter,
    promiscuous: false,
    captured: msg.packets.length,
    received: msg.received,
    dropped: msg.dropped,
    written: cfg.write,
    packets: msg.packets,
  };
}
