// The overlay's layouts for bench/overlay, set by hand on a lab host between runs: the bridge layout (the
// container's veth, the bridge, the VXLAN device) and the tc-BPF fast path past the bridge (counters.bpf.c's
// fast_ingress on the container's veth, tunnel_ingress on the VXLAN device), with its variants.
import { execFileSync, spawnSync } from 'node:child_process';
import { hostVethName } from '../dist/net/veth.js';
import { namedNetns, overlayNetnsName, HOST_LINK, HOST_PORT } from '../dist/net/overlay.js';
import { pinsFor, writeConfig } from '../dist/telemetry/bpf/kernel.js';

const VXLAN_DEV = 'xnet-vx';
const FAST_PLAIN = 1;
const FAST_NOCOUNT = 2;

/**
 * Each layout: which program the container's veth runs on ingress, whether the VXLAN device's ingress runs
 * tunnel_ingress, and the config's flags. `counting` false: the fast path without counting (the veth's egress
 * and the underlay's hooks off too, as for the bridge layout's "off").
 */
export const LAYOUTS = {
  'fast-egress': { veth: 'fast_ingress', tunnel: false, flags: 0 },
  // fast-off: the product's fast path, counting off (the caller takes the veth's egress and the underlay off).
  fast: { veth: 'fast_ingress', tunnel: true, flags: 0 },
  'fast-off': { veth: 'fast_ingress', tunnel: true, flags: FAST_NOCOUNT },
  'fast-plain': { veth: 'fast_ingress', tunnel: true, flags: FAST_PLAIN },
};

const nsh = (netns, argv, input) =>
  execFileSync('nsenter', [`--net=${netns}`, '--', ...argv], { encoding: 'utf8', input });
const linkOf = (netns, dev) => JSON.parse(nsh(netns, ['ip', '-j', 'link', 'show', 'dev', dev]))[0];
const u32 = (n) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24];
const macBytes = (mac) => [...mac.split(':').map((x) => parseInt(x, 16)), 0, 0];

/**
 * Fills the host's local map (its container, the bridge, both ends of the host link) and returns what the
 * layouts need: the VXLAN device's ifindex. `slot`: the container veth's slot in the counters' array.
 */
export function prepare(h, containerId, pid, slot) {
  const ov = namedNetns(overlayNetnsName(h.agentStateDir));
  const veth = linkOf(ov, hostVethName(containerId));
  const entries = [
    [linkOf(`/proc/${pid}/ns/net`, 'ethwe').address, veth.ifindex, slot],
    [linkOf(ov, 'xnet').address, 0, 0],
    [linkOf(ov, HOST_PORT).address, 0, 0],
    [linkOf(h.netnsPath, HOST_LINK).address, 0, 0],
  ];
  const p = pinsFor(h.agentStateDir);
  const lines = entries.map(
    ([mac, ifindex, s]) =>
      `map update pinned ${p.local} key ${macBytes(mac).join(' ')} value ${[...u32(ifindex), ...u32(s)].join(' ')}`,
  );
  execFileSync('bpftool', ['batch', 'file', '-'], { input: lines.join('\n') + '\n' });
  nsh(ov, ['tc', 'qdisc', 'replace', 'dev', VXLAN_DEV, 'clsact']);
  return { ov, veth: veth.ifname, vxlan: linkOf(ov, VXLAN_DEV).ifindex, slot };
}

/** The fast path off (the bridge layout): the veth back on veth_ingress (by the caller), the tunnel's hook off. */
export async function bridgeLayout(h, prep) {
  await writeConfig(pinsFor(h.agentStateDir), { tunnelIfindex: 0, flags: 0 });
  spawnSync('nsenter', [
    `--net=${prep.ov}`,
    '--',
    'tc',
    'filter',
    'del',
    'dev',
    VXLAN_DEV,
    'ingress',
    'pref',
    '49',
  ]);
}

/** One of LAYOUTS on the host. The underlay and the veth's egress are the caller's (counters on or off). */
export async function fastLayout(h, prep, name) {
  const l = LAYOUTS[name];
  const p = pinsFor(h.agentStateDir);
  const lines = [
    `filter replace dev ${prep.veth} ingress pref 49 handle 1 bpf da object-pinned ${p.progs}/${l.veth}` +
      (prep.slot ? ` classid 1:${prep.slot.toString(16)}` : ''),
    l.tunnel
      ? `filter replace dev ${VXLAN_DEV} ingress pref 49 handle 1 bpf da object-pinned ${p.progs}/tunnel_ingress`
      : `filter del dev ${VXLAN_DEV} ingress pref 49`,
  ];
  spawnSync('nsenter', [`--net=${prep.ov}`, '--', 'tc', '-force', '-batch', '-'], {
    input: lines.join('\n') + '\n',
  });
  await writeConfig(p, { tunnelIfindex: prep.vxlan, flags: l.flags });
}
