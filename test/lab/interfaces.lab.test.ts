import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/agent/rpc.js';
import { labHost } from '../../src/lab/layout.js';
import { readPid } from '../../src/lab/process.js';
import { xnet, xnetJson } from '../helpers/cli.js';

// The `interfaces` method (each TUI asks it once a second) hands out telemetry's last reading of the interface
// counters: `ip -s` processes the agent runs, counted with strace, are the same with two callers as with none.
const h1 = labHost(1);
const WINDOW_MS = 6_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `ip -json -s ...` processes the agent started while `during` ran (strace on all its threads, following forks). */
async function ipReadsDuring(during: () => Promise<void>): Promise<number> {
  const pid = readPid(h1.agentPidfile)!;
  const out = join(tmpdir(), `xnet-ip-reads-${process.pid}-${Date.now()}`);
  const tids = readdirSync(`/proc/${pid}/task`);
  const strace = spawn(
    'strace',
    ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', out, ...tids.flatMap((t) => ['-p', t])],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  strace.stderr.on('data', (b: Buffer) => (err += b.toString()));
  // strace says nothing when it has attached; give it a moment (it is only ever late, never early, to count).
  await sleep(1_000);
  try {
    await during();
  } finally {
    strace.kill('SIGINT');
    await new Promise((r) => strace.once('exit', r));
  }
  const text = readFileSync(out, 'utf8');
  rmSync(out, { force: true });
  expect(err).toBe('');
  return text.split('\n').filter((l) => /execve\("[^"]*\/ip", \["ip", "-json", "-s"/.test(l)).length;
}

/** `n` callers asking `interfaces` every 500 ms (twice a TUI's rate) for the window; their answers. */
async function callers(n: number): Promise<{ at: number; asked: number }[]> {
  const conns = await Promise.all(Array.from({ length: n }, () => AgentConnection.open(h1.agentSocket)));
  const answers: { at: number; asked: number }[] = [];
  const end = Date.now() + WINDOW_MS;
  await Promise.all(
    conns.map(async (c) => {
      while (Date.now() < end) {
        const asked = Date.now();
        const r = await c.call('interfaces', {});
        expect(r.interfaces.some((i) => i.name === 'eth0')).toBe(true);
        answers.push({ at: r.at, asked });
        await sleep(500);
      }
      c.close();
    }),
  );
  return answers;
}

describe('interface counters read once for every TUI', () => {
  beforeAll(async () => {
    await xnet(['lab', 'down']);
    const up = await xnet(['lab', 'up', '--hosts', '1', '--no-docker', '--no-standby']);
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await xnet(['lab', 'down']);
  });

  it('router not running: two callers share one reading at a time (one a second each would be 24 or more)', async () => {
    let answers: { at: number; asked: number }[] = [];
    const reads = await ipReadsDuring(async () => {
      answers = await callers(2);
    });
    // At most one reading per 1.5 s, in each of at most two namespaces.
    expect(reads).toBeLessThanOrEqual(2 * (Math.ceil(WINDOW_MS / 1_500) + 1));
    expect(answers.length).toBeGreaterThanOrEqual(12);
    expect(new Set(answers.map((a) => a.at)).size).toBeLessThan(answers.length);
  }, 60_000);

  it("router running: two callers cost no ip process beyond telemetry's own, and get its readings", async () => {
    await xnetJson(['--lab', 'h1', 'launch', '--nickname', 'one']);
    // Telemetry reads once a second once it sees the router running.
    await sleep(3_000);
    const idle = await ipReadsDuring(() => sleep(WINDOW_MS));
    let answers: { at: number; asked: number }[] = [];
    const asked = await ipReadsDuring(async () => {
      answers = await callers(2);
    });
    // Telemetry's own: one reading a second, in the host's and the overlay's namespace.
    expect(idle).toBeGreaterThanOrEqual(WINDOW_MS / 1_000);
    // Before, each call read both namespaces: 2 callers x 12 calls x 2 = 48 more.
    expect(asked).toBeLessThanOrEqual(idle + 4);
    // Each answer is telemetry's latest reading: read at most 1.5 s before it was asked for.
    for (const a of answers) expect(a.asked - a.at).toBeLessThanOrEqual(1_500 + 500);
  }, 90_000);
});
