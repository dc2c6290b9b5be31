#!/usr/bin/env node
// bench/mesh: N lab hosts (default 50) with the vxlan router, connected in a chain (hN connects to hN-1), and a
// 10-host run beside it as the baseline in the same run. Per size: how long `lab up` took and what the lab holds
// in memory; the time from the last connect until every host sees N-1 peers alive in gossip, and reachable on
// the data plane (the driver's probes); agent and serf RSS and CPU per host, gossip bytes per second per host,
// the machine's load (the reachable figure also by the agents' own since per peer: bench/mesh-since.mjs); then
// one host killed (supervisor, agent and serf, SIGKILL) and its agent started again by `lab restart HOST` (a new
// supervisor): the time until every other host sees it failed, then alive again. Prints figures, never fails on time.
// Hosts have no dockerd (`lab up --no-docker`) but the chain's two ends: the mesh is what is measured, and on
// the ends, that a container's ARP for a container across the mesh puts no ARP in VXLAN (bench/mesh-arp.mjs).
//   BENCH_HOSTS=50 BENCH_BASELINE=10 BENCH_TIMEOUT_S=300 [BENCH_CONNECT_EVERY_MS=1350] npm run bench:mesh
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { AgentConnection } from '../dist/agent/rpc.js';
import { CLI_MAIN } from '../dist/agent/client.js';
import { labHost } from '../dist/lab/layout.js';
import { readPid } from '../dist/lab/process.js';
import { cli, needEmptyLab } from './lab.mjs';
import { arpCheck } from './mesh-arp.mjs';
import { agentClocks } from './mesh-clocks.mjs';
import { sinceConvergence } from './mesh-since.mjs';
import {
  childrenOf,
  countGossip,
  cpuPct,
  cpuTicks,
  machineBusySeconds,
  treeTicks,
  gossipBytes,
  median,
  rssMb,
  serfOf,
} from './mesh-procs.mjs';

const N = Number(process.env.BENCH_HOSTS ?? 50);
const BASELINE = Number(process.env.BENCH_BASELINE ?? 10);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 300) * 1000;
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 20);
// The chain's pace: 0 (the default) connects each host as soon as the last connect returned; N starts one every
// N ms at most (a connect slower than that starts the next at once). A cheaper connect finishes the chain sooner,
// and then the last connect lands while the mesh still works through the joins before it: the pace says how much
// of "after the last connect" is that backlog.
const CONNECT_EVERY_MS = Number(process.env.BENCH_CONNECT_EVERY_MS ?? 0);
// BENCH_LOGS=DIR keeps every host's agent log (membership syncs and first answers, timed) before lab down.
const LOGS = process.env.BENCH_LOGS;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (m) => process.stderr.write(`bench: ${m}\n`);

needEmptyLab('bench/mesh');

const fmt = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '-');

async function openAll(hosts) {
  return Promise.all(hosts.map((h) => AgentConnection.open(h.agentSocket, 10_000)));
}

/** Every host's view: peers alive in gossip and reachable on the data plane, and a given peer's gossip state. */
async function views(conns, watch) {
  return Promise.all(
    conns.map(async (c) => {
      try {
        const r = await c.call('router', {});
        const peers = r.peers.filter((p) => !p.self);
        return {
          alive: peers.filter((p) => p.gossip === 'alive').length,
          reachable: peers.filter((p) => p.dataPlane.state === 'reachable').length,
          watched: watch ? (peers.find((p) => p.address === watch)?.gossip ?? 'none') : undefined,
          // Each peer's state and since when it is so, by the agent's clock (bench/mesh-since.mjs).
          peers: r.peers,
        };
      } catch {
        return { alive: -1, reachable: -1, watched: 'error', peers: undefined };
      }
    }),
  );
}

/** How long the last round of `views` took: how late a poll can see what the agents already saw. */
let lastRoundMs = NaN;
/** What the last round of `views` saw. */
let lastViews = [];
/** The rounds of the last `until`: when each began and ended (ms from `from`), and the fewest peers any host saw so. */
let rounds = [];

/** Polls until `done(views)` holds; returns ms since `from`, or NaN at the timeout. */
async function until(conns, from, done, watch, everyMs) {
  rounds = [];
  for (;;) {
    const began = Date.now();
    const v = await views(conns, watch);
    lastRoundMs = Date.now() - began;
    lastViews = v;
    rounds.push({
      at: began - from,
      took: lastRoundMs,
      alive: Math.min(...v.map((x) => x.alive)),
      reachable: Math.min(...v.map((x) => x.reachable)),
    });
    if (done(v)) return Date.now() - from;
    if (Date.now() - from > TIMEOUT_MS) return NaN;
    await sleep(everyMs);
  }
}

/**
 * The machine's neighbour tables' overflows so far (ARP and ND): one table per machine, shared by every lab host
 * and every other lab on it; the count grows when an entry could not be made.
 */
function tableFulls() {
  const of = (f) => {
    const [head, row] = readFileSync(`/proc/net/stat/${f}`, 'utf8').split('\n');
    return parseInt(row.trim().split(/\s+/)[head.trim().split(/\s+/).indexOf('table_fulls')], 16);
  };
  return { arp: of('arp_cache'), nd: of('ndisc_cache') };
}

async function runSize(n) {
  const fulls0 = tableFulls();
  say(`${n} hosts: lab up --no-docker`);
  say(`${n} hosts: neighbour table overflows so far: ${JSON.stringify(fulls0)}`);
  // A dockerd on the two ends of the chain only: the ARP check's containers.
  const upArgs = ['lab', 'up', '--hosts', String(n), '--no-docker', '--docker-on', `h1,h${n}`];
  const up = JSON.parse(cli(...upArgs, '--json'));
  const hosts = Array.from({ length: n }, (_, i) => labHost(i + 1));
  let conns = await openAll(hosts);
  // Polling 50 agents costs them too: every 500 ms at 50, 250 ms at 10.
  const every = n > 20 ? 500 : 250;
  say(`${n} hosts: launching the router on each`);
  for (const [i, c] of conns.entries()) await c.call('launch', { nickname: hosts[i].name });
  for (const h of hosts) countGossip(h);
  say(
    `${n} hosts: connecting the chain (${CONNECT_EVERY_MS ? `one every ${CONNECT_EVERY_MS} ms at most` : 'each as soon as the last returned'})`,
  );
  const firstConnect = Date.now();
  const busy0 = machineBusySeconds();
  for (let i = 1; i < n; i++) {
    const due = firstConnect + (i - 1) * CONNECT_EVERY_MS;
    if (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now()));
    await conns[i].call('connect', { peers: [hosts[i - 1].address] });
  }
  const lastConnect = Date.now();
  const connectSpan = lastConnect - firstConnect;
  const busy1 = machineBusySeconds();
  const aliveMs = await until(conns, lastConnect, (v) => v.every((x) => x.alive === n - 1), undefined, every);
  say(`${n} hosts: all alive ${fmt(aliveMs / 1000, 2)} s after the last connect`);
  say(
    `${n} hosts: neighbour table overflows since lab up: ${JSON.stringify(tableFulls())} (from ${JSON.stringify(fulls0)})`,
  );
  const reachableMs = await until(
    conns,
    lastConnect,
    (v) => v.every((x) => x.reachable === n - 1),
    undefined,
    every,
  );
  const pollRoundMs = lastRoundMs;
  // How busy the whole machine was (agents, serf, the tools they run, the kernel's network work): over the chain,
  // and from the last connect until the poll saw all reachable. At all its cores the time after the last connect
  // is the backlog of that work, waiting for a CPU.
  const busy2 = machineBusySeconds();
  const cores = availableParallelism();
  const cpu = {
    cores,
    chainSeconds: busy1 - busy0,
    chainCores: (busy1 - busy0) / (connectSpan / 1000),
    afterSeconds: busy2 - busy1,
    afterCores: (busy2 - busy1) / ((Date.now() - lastConnect) / 1000),
  };
  say(
    `${n} hosts: machine busy ${fmt(cpu.chainCores, 2)} of ${cores} cores over the chain (${fmt(cpu.chainSeconds, 0)} s of CPU in ${fmt(connectSpan / 1000, 1)} s), ${fmt(cpu.afterCores, 2)} from the last connect until the poll saw all reachable`,
  );
  // The round that saw it carries each agent's since per peer: when it became so, not when it was asked.
  const sinceMs = sinceConvergence(
    lastViews.map((x) => x.peers),
    n,
    lastConnect,
  );
  // Each round of the reachable poll: when it began (s after the last connect), how long it took, and the fewest
  // peers any host saw reachable: whether the poll was late, or a host saw a peer reachable and then not.
  const trace = rounds.map((r) => `${fmt(r.at / 1000, 1)}+${fmt(r.took / 1000, 1)}:${r.reachable}`).join(' ');
  say(`${n} hosts: reachable poll rounds (began+took: fewest reachable): ${trace}`);
  say(
    `${n} hosts: all reachable ${fmt(reachableMs / 1000, 2)} s after the last connect (the round of ${n} router calls that saw it took ${fmt(pollRoundMs / 1000, 2)} s)`,
  );
  say(`${n} hosts: by the agents' state: all reachable ${fmt(sinceMs / 1000, 2)} s after the last connect`);
  // What the agents saw, by their own logs' clocks (bench/mesh-clocks.mjs): the poll above answers late.
  const clocks = agentClocks(hosts, lastConnect, Date.now());
  say(
    `${n} hosts: by the agents' own clocks, all alive ${fmt(clocks.aliveMs / 1000, 2)} s and all reachable ${fmt(clocks.reachableMs / 1000, 2)} s after the last connect`,
  );

  // Steady state: CPU and memory per agent and serf, gossip bytes, over a window with nothing else happening.
  const agents = hosts.map((h) => readPid(h.agentPidfile));
  const serfs = agents.map((p) => Number(serfOf(p)));
  const g0 = hosts.map(gossipBytes);
  // The agent's tree: the probe loops run under its spawner, whose reaped children the agent's own times miss.
  const a0 = agents.map(treeTicks);
  const s0 = serfs.map(cpuTicks);
  await sleep(WINDOW_S * 1000);
  const a1 = agents.map(treeTicks);
  const s1 = serfs.map(cpuTicks);
  const g1 = hosts.map(gossipBytes);
  const pct = (b, a) => b.map((x, i) => cpuPct(x, a[i], WINDOW_S));
  const steady = {
    agentCpuPct: median(pct(a1, a0)),
    agentCpuMaxPct: Math.max(...pct(a1, a0).filter(Number.isFinite)),
    agentRssMb: median(agents.map(rssMb)),
    serfCpuPct: median(pct(s1, s0)),
    serfRssMb: median(serfs.map(rssMb)),
    gossipBps: median(g1.map((x, i) => (x - g0[i]) / WINDOW_S)),
    load: loadavg(),
  };

  say(`${n} hosts: ARP check, a container on h1 pinging one on h${n} for the first time`);
  const arp = await arpCheck(hosts[0], hosts[n - 1]);
  say(`${n} hosts: ARP check ${JSON.stringify(arp)}`);

  // One host killed outright (supervisor, standby, agent and serf: SIGKILL), then started again by `lab restart`,
  // which brings its supervisor back; the agent relaunches the router from its state file and rejoins.
  const victim = hosts[Math.floor(n / 2)];
  const others = conns.filter((_, i) => hosts[i] !== victim);
  const supervisor = readPid(victim.supervisorPidfile);
  const victimPid = readPid(victim.agentPidfile);
  const doomed = [supervisor, ...childrenOf(supervisor), Number(serfOf(victimPid))].filter(Boolean);
  say(`${n} hosts: killing ${victim.name} (pids ${doomed.join(' ')})`);
  const killedAt = Date.now();
  for (const pid of doomed) process.kill(pid, 'SIGKILL');
  const failedMs = await until(
    others,
    killedAt,
    (v) => v.every((x) => x.watched !== 'alive'),
    victim.address,
    every,
  );
  const restartAt = Date.now();
  // `lab restart` in the background, as an operator restarts that host's agent (its supervisor was killed
  // too, so a new one starts it): when its own agent answers again and when the command returns are timed
  // apart from when the others see it back (serf's rejoin from its snapshot), so the figure says where the
  // time goes. (`lab up` walked all N hosts first: most of the minute the 50-host run took.)
  const restartDone = new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_MAIN, 'lab', 'restart', victim.name], { stdio: 'ignore' });
    child.on('exit', () => resolve(Date.now() - restartAt));
  });
  let agentMs = NaN;
  void (async () => {
    while (Number.isNaN(agentMs) && Date.now() - restartAt < TIMEOUT_MS) {
      try {
        (await AgentConnection.open(victim.agentSocket, 1_000)).close();
        agentMs = Date.now() - restartAt;
      } catch {
        await sleep(100);
      }
    }
  })();
  const backMs = await until(
    others,
    restartAt,
    (v) => v.every((x) => x.watched === 'alive'),
    victim.address,
    every,
  );
  const restartMs = await restartDone;
  say(
    `${n} hosts: ${victim.name} seen failed by all after ${fmt(failedMs / 1000, 2)} s; alive again for all ${fmt(backMs / 1000, 2)} s after lab restart started it again (its agent answered after ${fmt(agentMs / 1000, 2)} s, lab restart returned after ${fmt(restartMs / 1000, 2)} s)`,
  );
  for (const c of conns) c.close();
  conns = [];
  if (LOGS) {
    mkdirSync(`${LOGS}/${n}`, { recursive: true });
    for (const h of hosts) copyFileSync(h.agentLog, `${LOGS}/${n}/${h.name}.log`);
    say(`${n} hosts: agent logs kept in ${LOGS}/${n}`);
  }
  say(`${n} hosts: lab down`);
  cli('lab', 'down');
  return {
    n,
    up: up.footprint,
    connectSpan,
    cpu,
    aliveMs,
    reachableMs,
    pollRoundMs,
    sinceMs,
    clocks,
    steady,
    failedMs,
    backMs,
    agentMs,
    restartMs,
    victim: victim.name,
    arp,
    tableFulls: { arp: tableFulls().arp - fulls0.arp, nd: tableFulls().nd - fulls0.nd },
  };
}

const mb = (b) => `${Math.round(b / 2 ** 20)} MB`;
const COLUMNS = [
  'hosts',
  'lab up',
  'lab mem',
  'connects',
  'alive',
  'reachable',
  'by agents',
  'by since',
  'agent cpu/rss',
  'serf cpu/rss',
  'gossip/host',
  'kill: failed',
  'back',
  'ARP/ICMP vxlan',
  'first ping',
  'load (1m)',
];
const rowOf = (r) => [
  String(r.n),
  `${fmt(r.up.startSeconds)} s`,
  mb(r.up.totalRssBytes),
  `${fmt(r.connectSpan / 1000, 2)} s`,
  `${fmt(r.aliveMs / 1000, 2)} s`,
  `${fmt(r.reachableMs / 1000, 2)} s`,
  `${fmt(r.clocks.aliveMs / 1000, 1)}/${fmt(r.clocks.reachableMs / 1000, 1)} s`,
  `${fmt(r.sinceMs / 1000, 2)} s`,
  `${fmt(r.steady.agentCpuPct)}% ${fmt(r.steady.agentRssMb, 0)}M`,
  `${fmt(r.steady.serfCpuPct)}% ${fmt(r.steady.serfRssMb, 0)}M`,
  `${fmt(r.steady.gossipBps / 1024)} KiB/s`,
  `${fmt(r.failedMs / 1000, 2)} s`,
  `${fmt(r.backMs / 1000, 2)} s`,
  `${r.arp.arpFrames}/${r.arp.icmpFrames}`,
  r.arp.firstPing ? 'ok' : 'LOST',
  r.steady.load.map((x) => x.toFixed(1)).join(' '),
];
const line = (cells) => cells.map((x) => x.padEnd(15)).join('');

console.log('bench/mesh: vxlan router, hosts chained (hN connects to hN-1), no dockerd');
console.log(
  'alive/reachable: from the last connect until every host sees N-1 peers so, by polling every agent; by agents:',
);
console.log("the same by the agents' own log clocks (alive/reachable); by since: all alive and reachable by");
console.log(
  "the agents' state (each peer's gossipSince/dataPlane.since in the round that saw it); agent CPU",
);
console.log(
  'includes its whole process tree: fping, ip, its helpers (median over hosts); back: from `lab restart` of the killed',
);
console.log('host; ARP/ICMP vxlan:');
console.log('inner ARP / ICMP frames in VXLAN on h1 cable during its container first ping to one on hN');
console.log(line(COLUMNS));
const sizes = BASELINE > 0 && BASELINE !== N ? [BASELINE, N] : [N];
// Each size's row as soon as it is measured: a 50-host run that has to be stopped keeps the baseline's.
for (const n of sizes) {
  let r;
  try {
    r = await runSize(n);
  } catch (err) {
    // A run that fails leaves no lab behind (the next run, or CI, needs the machine).
    say(`${n} hosts: failed (${err.message}); lab down`);
    cli('lab', 'down');
    throw err;
  }
  console.log(line(rowOf(r)));
  console.log(JSON.stringify(r));
}
