#!/usr/bin/env node
// bench/datapath: what each container-to-VXLAN data path costs on this machine, with no agent, docker or
// capture in the way. Two hosts in namespaces (xnet-dp-*) on a bridge, as the lab's are; iperf3 TCP over:
//   underlay    host to host, the baseline
//   vxlan       addresses on the VXLAN device itself (the encapsulation alone)
//   bridge      container veth -> bridge -> VXLAN (the vxlan driver's path, as the issue specifies it)
//   bridge+nf   the same with br_netfilter and conntrack on, as dockerd leaves a host
//   macvlan     container macvlan on the VXLAN device, no bridge
// Rounds interleave the paths so that the machine's noise falls on all of them alike. Prints figures; never
// fails on speed. Needs the lab down (its figures would mix with whatever else runs).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { needEmptyLab } from './lab.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LAN = 'xnet-dp-lan';
const HOSTS = [1, 2].map((i) => ({
  ns: `xnet-dp-h${i}`,
  address: `198.18.0.${200 + i}`,
  c: (path) => `xnet-dp-h${i}-${path}`,
  i,
}));
const PATHS = [
  { name: 'vxlan', vni: 4201, net: '172.25.201' },
  { name: 'bridge', vni: 4202, net: '172.25.202' },
  { name: 'bridge+nf', vni: 4203, net: '172.25.203' },
  { name: 'macvlan', vni: 4204, net: '172.25.204' },
];
const MTU = 1450;

const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
const inNs = (ns, ...cmd) =>
  execFileSync('ip', ['netns', 'exec', ns, ...cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
const namespaces = () =>
  execFileSync('ip', ['-o', 'netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith('xnet-dp-'));

function down() {
  for (const ns of namespaces()) spawnSync('ip', ['netns', 'del', ns]);
}

function up() {
  ip('netns', 'add', LAN);
  ip('-n', LAN, 'link', 'add', 'lan0', 'type', 'bridge');
  ip('-n', LAN, 'link', 'set', 'lan0', 'up');
  for (const h of HOSTS) {
    ip('netns', 'add', h.ns);
    ip('-n', h.ns, 'link', 'set', 'lo', 'up');
    ip('-n', h.ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `h${h.i}`, 'netns', LAN);
    ip('-n', LAN, 'link', 'set', `h${h.i}`, 'master', 'lan0', 'up');
    ip('-n', h.ns, 'addr', 'add', `${h.address}/24`, 'dev', 'eth0');
    ip('-n', h.ns, 'link', 'set', 'eth0', 'up');
    const peer = HOSTS.find((p) => p !== h).address;
    for (const p of PATHS) {
      const vx = `vx${p.vni}`;
      ip(
        '-n',
        h.ns,
        'link',
        'add',
        vx,
        'type',
        'vxlan',
        'id',
        String(p.vni),
        'dstport',
        '4789',
        'local',
        h.address,
        'dev',
        'eth0',
        'nolearning',
      );
      ip('-n', h.ns, 'link', 'set', vx, 'mtu', String(MTU), 'up');
      execFileSync('ip', [
        'netns',
        'exec',
        h.ns,
        'bridge',
        'fdb',
        'append',
        '00:00:00:00:00:00',
        'dev',
        vx,
        'dst',
        peer,
      ]);
      const addr = `${p.net}.${h.i}/24`;
      if (p.name === 'vxlan') {
        ip('-n', h.ns, 'addr', 'add', addr, 'dev', vx);
        continue;
      }
      const c = h.c(p.name.replace('+', '-'));
      ip('netns', 'add', c);
      ip('-n', c, 'link', 'set', 'lo', 'up');
      if (p.name === 'macvlan') {
        ip('-n', h.ns, 'link', 'add', 'mv0', 'link', vx, 'type', 'macvlan', 'mode', 'bridge');
        ip('-n', h.ns, 'link', 'set', 'mv0', 'netns', c);
        ip('-n', c, 'link', 'set', 'mv0', 'name', 'eth0');
      } else {
        const br = `br${p.vni}`;
        ip('-n', h.ns, 'link', 'add', br, 'type', 'bridge');
        ip('-n', h.ns, 'link', 'set', br, 'mtu', String(MTU), 'up');
        ip('-n', h.ns, 'link', 'set', vx, 'master', br);
        ip(
          '-n',
          h.ns,
          'link',
          'add',
          `ve${p.vni}`,
          'mtu',
          String(MTU),
          'type',
          'veth',
          'peer',
          'name',
          'eth0',
          'netns',
          c,
        );
        ip('-n', h.ns, 'link', 'set', `ve${p.vni}`, 'master', br, 'up');
      }
      ip('-n', c, 'link', 'set', 'eth0', 'mtu', String(MTU));
      ip('-n', c, 'addr', 'add', addr, 'dev', 'eth0');
      ip('-n', c, 'link', 'set', 'eth0', 'up');
    }
    // br_netfilter is one switch per namespace: on here as dockerd leaves it, with one conntrack rule so the
    // tracker runs (dockerd's FORWARD chain has several). The underlay and the other paths pay for it too,
    // as they would on a docker host; only bridged frames pay twice.
    inNs(h.ns, 'sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1');
    inNs(
      h.ns,
      'iptables',
      '-A',
      'FORWARD',
      '-m',
      'conntrack',
      '--ctstate',
      'RELATED,ESTABLISHED',
      '-j',
      'ACCEPT',
    );
  }
}

function nsOf(h, path) {
  if (path.name === 'vxlan' || path.name === 'underlay') return h.ns;
  return h.c(path.name.replace('+', '-'));
}

function iperf(serverNs, clientNs, address) {
  const server = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s', '-1', '-B', address], {
    stdio: 'ignore',
  });
  spawnSync('sleep', ['0.3']);
  const r = spawnSync(
    'ip',
    ['netns', 'exec', clientNs, 'iperf3', '-c', address, '-t', String(SECONDS), '-J'],
    {
      encoding: 'utf8',
    },
  );
  server.kill();
  return JSON.parse(r.stdout).end.sum_received.bits_per_second / 1e9;
}

needEmptyLab('bench/datapath');
down();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (down(), process.exit(130)));
const all = [{ name: 'underlay', net: '198.18.0', host: (h) => h.address }, ...PATHS];
const figures = new Map(all.map((p) => [p.name, []]));
try {
  up();
  // br_netfilter is one switch per namespace: off while the bridge path runs, on for every other one.
  for (let r = 0; r < ROUNDS; r++) {
    for (const p of all) {
      const nf = p.name === 'bridge' ? '0' : '1';
      for (const h of HOSTS) inNs(h.ns, 'sysctl', '-qw', `net.bridge.bridge-nf-call-iptables=${nf}`);
      const addr = p.host ? p.host(HOSTS[0]) : `${p.net}.1`;
      figures.get(p.name).push(iperf(nsOf(HOSTS[0], p), nsOf(HOSTS[1], p), addr));
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
