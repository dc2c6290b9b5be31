// bench/mesh's ARP check: a container on the first host pings, for the first time, a container on the last host
// (the only two hosts with a dockerd, `lab up --docker-on h1,hN`). tcpdump on the first host's cable in the LAN
// counts what VXLAN carries meanwhile: inner ARP frames (proxy ARP on the VXLAN device should answer on the
// host: none cross) and inner ICMP echoes (the witness: the ping itself crossed, so tcpdump was looking).
import { spawn, spawnSync } from 'node:child_process';
import { CLI_MAIN } from '../dist/agent/client.js';
import { LAN_NETNS } from '../dist/lab/layout.js';
import { overlayNetnsName } from '../dist/net/overlay.js';
import { call, cli } from './lab.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** VXLAN on the wire: UDP (8) + VXLAN (8) + inner Ethernet; EtherType at udp[28], inner IPv4 protocol at udp[39]. */
const VXLAN_ARP = 'udp dst port 4789 and udp[28:2] = 0x0806';
const VXLAN_ICMP = 'udp dst port 4789 and udp[28:2] = 0x0800 and udp[39] = 1';

/** Frames matching `filter` on host `h`'s cable while `during` runs: tcpdump's own "N packets captured". */
async function counting(h, filter) {
  const dump = spawn('nsenter', [
    `--net=/run/netns/${LAN_NETNS}`,
    '--',
    'tcpdump',
    '-n',
    '-i',
    h.name,
    filter,
  ]);
  dump.stdout.resume();
  let err = '';
  await new Promise((resolve) =>
    dump.stderr.on('data', (b) => {
      err += b.toString();
      if (err.includes('listening on')) resolve();
    }),
  );
  return async () => {
    await sleep(500);
    dump.kill('SIGINT');
    await new Promise((r) => dump.once('exit', r));
    const m = /(\d+) packets? captured/.exec(err);
    return m ? Number(m[1]) : NaN;
  };
}

/** A command in a lab host (its dockerd), whatever its exit code. */
const exec = (h, argv) =>
  spawnSync(process.execPath, [CLI_MAIN, 'lab', 'exec', h.name, '--', ...argv], { encoding: 'utf8' });

/** Runs the check between hosts `a` and `b`; the containers stay (lab down removes them). */
export async function arpCheck(a, b) {
  const [ipA, ipB] = ['172.25.11.10', '172.25.11.20'];
  for (const [h, name, ip] of [
    [a, 'arp-a', ipA],
    [b, 'arp-b', ipB],
  ]) {
    cli('lab', 'exec', h.name, '--', 'docker', 'run', '-d', '--name', name, 'xnet/busybox', 'sleep', '3600');
    await call(h, 'attach', { cidrs: [`${ip}/24`], container: name });
  }
  // The far container's entry in a's VXLAN device (from the address table), before the first ping.
  const overlay = overlayNetnsName(a.agentStateDir);
  const attachedAt = Date.now();
  let learnedMs = NaN;
  while (Date.now() - attachedAt < 60_000) {
    const neigh = spawnSync('ip', ['-n', overlay, 'neigh', 'show', ipB, 'dev', 'xnet-vx'], {
      encoding: 'utf8',
    });
    if (neigh.stdout.includes('PERMANENT')) {
      learnedMs = Date.now() - attachedAt;
      break;
    }
    await sleep(100);
  }
  const arps = await counting(a, VXLAN_ARP);
  const echoes = await counting(a, VXLAN_ICMP);
  const ping = exec(a, ['docker', 'exec', 'arp-a', 'ping', '-c', '1', '-W', '3', ipB]);
  const [arpFrames, icmpFrames] = [await arps(), await echoes()];
  const arpTable = exec(a, ['docker', 'exec', 'arp-a', 'cat', '/proc/net/arp']).stdout;
  return {
    from: a.name,
    to: b.name,
    learnedMs,
    arpFrames,
    icmpFrames,
    firstPing: /1 packets received/.test(ping.stdout),
    resolved: arpTable.includes(ipB),
  };
}
