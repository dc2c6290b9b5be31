#!/usr/bin/env node
// bench/datapath: what each container-to-VXLAN data path costs on this machine, with no agent, docker or
// capture in the way. Two hosts in namespaces (xnetdp-*) on a bridge, as the lab's are; iperf3 TCP over:
//   underlay    host to host, the baseline
//   vxlan       addresses on the VXLAN device itself (the encapsulation alone)
//   bridge      container veth -> bridge -> VXLAN (the vxlan driver's path, as the issue specifies it)
//   bridge+nf   the same with br_netfilter and conntrack on, as dockerd leaves a host
//   macvlan     container macvlan on the VXLAN device, no bridge
// Rounds interleave the paths so that the machine's noise falls on all of them alike. Prints figures; never
// fails on speed. Needs the lab down (its figures would mix with whatever else runs).
import { execFileSync, spawnSync } from 'node:child_process';
import { FLOOD_MAC, fdbBatch } from '../dist/net/fdb.js';
import { ipBatch } from '../dist/net/ip.js';
import { iperf, needEmptyLab } from './lab.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
// Not `xnet-`: `lab down` removes every namespace that starts so, and would take a running bench with it.
const PREFIX = 'xnetdp-';
const LAN = `${PREFIX}lan`;
const HOSTS = [1, 2].map((i) => ({ i, ns: `${PREFIX}h${i}`, address: `198.18.0.${200 + i}` }));
// `container`: the path's containers get a namespace of their own (vxlan and underlay run in the host's).
const PATHS = [
  { name: 'vxlan', vni: 4201, net: '172.25.201', container: false },
  { name: 'bridge', vni: 4202, net: '172.25.202', container: true },
  { name: 'bridge+nf', vni: 4203, net: '172.25.203', container: true },
  { name: 'macvlan', vni: 4204, net: '172.25.204', container: true },
];
const MTU = 1450;

const netns = (name) => `/run/netns/${name}`;
const containerNs = (h, p) => `${h.ns}-${p.vni}`;
const inNs = (ns, ...cmd) =>
  execFileSync('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
const brNetfilter = (h, on) =>
  inNs(h.ns, 'sysctl', '-qw', `net.bridge.bridge-nf-call-iptables=${on ? 1 : 0}`);

function down() {
  const all = execFileSync('ip', ['-o', 'netns', 'list'], { encoding: 'utf8' }).split('\n');
  for (const ns of all.map((l) => l.split(' ')[0]).filter((n) => n.startsWith(PREFIX)))
    spawnSync('ip', ['netns', 'del', ns]);
}

async function up() {
  const named = [
    LAN,
    ...HOSTS.map((h) => h.ns),
    ...HOSTS.flatMap((h) => PATHS.filter((p) => p.container).map((p) => containerNs(h, p))),
  ];
  for (const ns of named) execFileSync('ip', ['netns', 'add', ns]);
  await ipBatch(netns(LAN), ['link add lan0 type bridge', 'link set lan0 up']);
  for (const h of HOSTS) {
    const peer = HOSTS.find((p) => p !== h).address;
    const host = [
      'link set lo up',
      `link add eth0 type veth peer name h${h.i} netns ${LAN}`,
      `addr add ${h.address}/24 dev eth0`,
      'link set eth0 up',
    ];
    const fdb = [];
    const containers = [];
    for (const p of PATHS) {
      const vx = `vx${p.vni}`;
      const addr = `${p.net}.${h.i}/24`;
      host.push(
        `link add ${vx} type vxlan id ${p.vni} dstport 4789 local ${h.address} dev eth0 nolearning`,
        `link set ${vx} mtu ${MTU} up`,
      );
      fdb.push(`fdb append ${FLOOD_MAC} dev ${vx} dst ${peer}`);
      if (!p.container) {
        host.push(`addr add ${addr} dev ${vx}`);
        continue;
      }
      const c = containerNs(h, p);
      if (p.name === 'macvlan')
        host.push(
          `link add mv${p.vni} link ${vx} type macvlan mode bridge`,
          `link set mv${p.vni} netns ${c} name eth0`,
        );
      else
        host.push(
          `link add br${p.vni} type bridge`,
          `link set br${p.vni} mtu ${MTU} up`,
          `link set ${vx} master br${p.vni}`,
          `link add ve${p.vni} mtu ${MTU} type veth peer name eth0 netns ${c}`,
          `link set ve${p.vni} master br${p.vni} up`,
        );
      containers.push([
        c,
        ['link set lo up', `link set eth0 mtu ${MTU}`, `addr add ${addr} dev eth0`, 'link set eth0 up'],
      ]);
    }
    await ipBatch(netns(h.ns), host);
    await ipBatch(netns(LAN), [`link set h${h.i} master lan0 up`]);
    await fdbBatch(netns(h.ns), fdb);
    for (const [c, lines] of containers) await ipBatch(netns(c), lines);
    // br_netfilter is one switch per namespace: on here as dockerd leaves it, with one conntrack rule so the
    // tracker runs (dockerd's FORWARD chain has several). The underlay and the other paths pay for it too,
    // as they would on a docker host; only bridged frames pay twice.
    brNetfilter(h, true);
    inNs(h.ns, ...'iptables -A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'.split(' '));
  }
}

const underlay = { name: 'underlay', container: false };
/** Where a path's iperf3 runs on host h, and the address it serves on. */
const endpoint = (h, p) => ({
  netns: netns(p.container ? containerNs(h, p) : h.ns),
  address: p === underlay ? h.address : `${p.net}.${h.i}`,
});

needEmptyLab('bench/datapath');
down();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (down(), process.exit(130)));
const all = [underlay, ...PATHS];
const figures = new Map(all.map((p) => [p.name, []]));
try {
  await up();
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of all) {
      // br_netfilter is one switch per namespace: off while the bridge path runs, on for every other one.
      for (const h of HOSTS) brNetfilter(h, p.name !== 'bridge');
      const [server, client] = HOSTS.map((h) => endpoint(h, p));
      figures.get(p.name).push(iperf(server.netns, client.netns, server.address, SECONDS));
    }
    process.stderr.write(
      `bench: round ${r + 1}/${ROUNDS}: ${all.map((p) => `${p.name} ${figures.get(p.name).at(-1).toFixed(1)}`).join(', ')}\n`,
    );
  }
} finally {
  down();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const u = figures.get('underlay');
const row = (a, b, c, d) => `${a.padEnd(44)}${b.padStart(10)}${c.padStart(12)}${d.padStart(14)}`;
console.log(
  `\nbench/datapath: iperf3 TCP ${SECONDS} s x ${ROUNDS} rounds, two hosts in namespaces, nothing else running\n`,
);
console.log(row('path', 'Gbit/s', 'ratio', 'ratio range'));
for (const p of all) {
  const ratios = figures.get(p.name).map((x, i) => x / u[i]);
  console.log(
    row(
      p.name,
      median(figures.get(p.name)).toFixed(2),
      median(ratios).toFixed(2),
      `${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}`,
    ),
  );
}
console.log('\nratio: to the underlay of the same round; median of the per-round ratios');
