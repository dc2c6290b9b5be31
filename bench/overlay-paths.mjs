// bench/overlay's paths: which layout and hooks each measured path runs with, and the kernel offloads that
// BENCH_OFFLOAD tries on one of them. The rounds themselves are bench/overlay.mjs.
import { execFileSync } from 'node:child_process';
import { hostVethName } from '../dist/net/veth.js';
import { namedNetns, overlayNetnsName } from '../dist/net/overlay.js';

export const nsh = (netns, argv, input) =>
  execFileSync('nsenter', [`--net=${netns}`, '--', ...argv], { encoding: 'utf8', input });

/** Each path's layout: the fast path's (LAYOUTS) or the bridge's, and whether our counting hooks are on. */
export const layoutOf = (path) =>
  ({
    on: ['fast', true],
    measured: ['fast', true],
    off: ['fast-off', false],
    offload: ['fast', true],
    'bridge-on': ['bridge', true],
    'bridge-off': ['bridge', false],
    empty: ['bridge', 'empty'],
  })[path] ?? [path, true];

const feature = (netns, dev, name) =>
  new RegExp(`^${name}: (on|off)`, 'm').exec(nsh(netns, ['ethtool', '-k', dev]))?.[1] ?? 'off';
export function offloadPorts(hosts, ids, pids) {
  return hosts.flatMap((h, i) => [
    [namedNetns(overlayNetnsName(h.agentStateDir)), hostVethName(ids[i]), ['gro']],
    [`/proc/${pids[i]}/ns/net`, 'ethwe', ['gro']],
    [h.netnsPath, 'eth0', ['gro', 'rx-udp-gro-forwarding']],
  ]);
}
const LONG = { gro: 'generic-receive-offload', 'rx-udp-gro-forwarding': 'rx-udp-gro-forwarding' };
/** Each port's settings now, to put back. */
export const offloadsNow = (ports) =>
  ports.map(([netns, dev, names]) => names.map((n) => [n, feature(netns, dev, LONG[n])]));
export function setOffloads(ports, values) {
  ports.forEach(([netns, dev], i) => nsh(netns, ['ethtool', '-K', dev, ...values[i].flat()]));
}
