#!/usr/bin/env node
// bench/tui: the UI on a lab host beside htop, in the same run, on the same 80x24 pseudo-terminal.
// Prints figures side by side with ratios; never passes or fails on time (the machine is shared).
// Run as root after `npm run build`: node bench/tui.mjs   (uses XNET_LAB_ID for its lab, default none).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const COLS = 80;
const ROWS = 24;
const WINDOW_MS = Number(process.env.BENCH_WINDOW_MS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TICKS = 100; // USER_HZ on Linux

const cli = (...args) => execFileSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const lab = (...argv) => cli('lab', 'exec', 'h1', '--', ...argv);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A program on its own pty of COLS x ROWS (util-linux `script`), with its output counted as it arrives. */
function onPty(command, env = {}) {
  const child = spawn('script', ['-qfec', `stty cols ${COLS} rows ${ROWS}; exec ${command}`, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm-256color', LANG: 'C.UTF-8', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const t0 = performance.now();
  const p = { child, t0, bytes: 0, firstFrameMs: undefined, fullFrameMs: undefined, text: '' };
  child.stdout.on('data', (d) => {
    p.bytes += d.length;
    p.text = (p.text + d.toString('utf8')).slice(-4000);
    // First frame: the header (xnet-tui paints it, with the agent still connecting, before Ink has loaded).
    if (p.firstFrameMs === undefined && /xnet-tui h1|CPU|Mem/.test(p.text))
      p.firstFrameMs = performance.now() - t0;
    // Full frame: Ink's first, with every pane drawn.
    if (p.fullFrameMs === undefined && /Containers|CPU|Mem/.test(p.text))
      p.fullFrameMs = performance.now() - t0;
  });
  return p;
}

/** The program itself: the child of script's shell, which exec'd it. */
function programPid(p) {
  for (const task of readdirSync(`/proc/${p.child.pid}/task`)) {
    const kids = readFileSync(`/proc/${p.child.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/);
    if (kids[0]) return Number(kids[0]);
  }
  throw new Error('no program under script');
}
function cpuTicks(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/** Bytes/s written to the terminal and CPU % of the program over WINDOW_MS, after it settled. */
async function measure(p, settleMs = 3_000) {
  await sleep(settleMs);
  const pid = programPid(p);
  const b0 = p.bytes;
  const c0 = cpuTicks(pid);
  const t0 = performance.now();
  await sleep(WINDOW_MS);
  const secs = (performance.now() - t0) / 1000;
  return { bytesPerSec: (p.bytes - b0) / secs, cpuPct: ((cpuTicks(pid) - c0) / TICKS / secs) * 100 };
}
/** Quits with q, as an operator would (a client killed mid-call resets its socket, see the report). */
async function stop(p) {
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.stdin.write('q');
  const timer = setTimeout(() => p.child.kill('SIGTERM'), 3_000);
  await exited;
  clearTimeout(timer);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (v, d = 1) => (v === undefined ? '-' : v.toFixed(d));
const ratio = (a, b) => (b > 0 ? (a / b).toFixed(2) : a > 0 ? 'inf' : '-');

console.log(
  `bench/tui: lab up (1 host), two attached busybox containers, ${COLS}x${ROWS} pty, ${WINDOW_MS / 1000} s windows`,
);
cli('lab', 'up', '--hosts', '1');
try {
  for (const [name, cidr] of [
    ['bench-a', '172.25.11.101/24'],
    ['bench-b', '172.25.11.102/24'],
  ]) {
    lab('docker', 'rm', '-f', name);
    lab('docker', 'run', '-d', '--name', name, 'xnet/busybox', 'sleep', '1d');
    cli('--lab', 'h1', 'attach', cidr, name);
  }
  const ui = `${process.execPath} ${CLI} --lab h1`;

  const firstFrames = [];
  const fullFrames = [];
  for (let i = 0; i < RUNS; i++) {
    const p = onPty(ui);
    while (p.fullFrameMs === undefined && performance.now() - p.t0 < 10_000) await sleep(5);
    firstFrames.push(p.firstFrameMs);
    fullFrames.push(p.fullFrameMs);
    await stop(p);
  }

  // Idle means a minute without traffic: until then the sparklines still scroll the last blip (the attach's ARP).
  let p = onPty(ui);
  const uiIdle = await measure(p, Number(process.env.BENCH_IDLE_SETTLE_MS ?? 62_000));
  let h = onPty('htop -d 10');
  const htopIdle = await measure(h);
  await stop(h);

  // Live: a flood ping between the two containers, so every rate and sparkline changes every second.
  const pinger = spawn(
    process.execPath,
    [CLI, 'lab', 'exec', 'h1', '--', 'docker', 'exec', 'bench-a', 'ping', '-i', '0.05', '172.25.11.102'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  await sleep(2_000);
  const uiLive = await measure(p, 1_000);
  await stop(p);
  h = onPty('htop -d 10');
  const htopLive = await measure(h);
  await stop(h);
  pinger.kill('SIGTERM');

  const rows = [
    ['first frame, median of ' + RUNS + ' (ms)', median(firstFrames), undefined, '< 400'],
    ['full frame (all panes), median (ms)', median(fullFrames), undefined, ''],
    ['bytes/s to the terminal, idle', uiIdle.bytesPerSec, htopIdle.bytesPerSec, '< 100'],
    ['bytes/s to the terminal, live', uiLive.bytesPerSec, htopLive.bytesPerSec, 'below htop'],
    ['CPU % of the process, idle', uiIdle.cpuPct, htopIdle.cpuPct, ''],
    ['CPU % of the process, live', uiLive.cpuPct, htopLive.cpuPct, ''],
  ];
  console.log(`\n| ${'lab host h1, 80x24'.padEnd(36)} | xnet-tui |    htop | ratio | target     |`);
  console.log(`| ${'-'.repeat(36)} | -------: | ------: | ----: | ---------- |`);
  for (const [label, a, b, target] of rows)
    console.log(
      `| ${label.padEnd(36)} | ${fmt(a).padStart(8)} | ${fmt(b).padStart(7)} | ${(b === undefined ? '-' : ratio(a, b)).padStart(5)} | ${target.padEnd(10)} |`,
    );
  console.log(`\nfirst frames (ms): ${firstFrames.map((f) => fmt(f, 0)).join(', ')}`);
  console.log(`full frames (ms): ${fullFrames.map((f) => fmt(f, 0)).join(', ')}`);
} finally {
  for (const name of ['bench-a', 'bench-b']) {
    try {
      lab('docker', 'rm', '-f', name);
    } catch {
      // the lab may already be gone
    }
  }
  cli('lab', 'down');
}
