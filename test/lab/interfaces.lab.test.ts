import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/agent/rpc.js';
import { labHost } from '../../src/lab/layout.js';
import { xnet, xnetJson } from '../helpers/cli.js';

// The `interfaces` method (each TUI asks it once a second) hands out telemetry's last reading of the interface
// counters: `ip -s` processes the agent runs are the same with two callers as with none. Telemetry itself reads
// through one long-lived `ip -batch` per namespace: with the router running, no `ip` process a second at all.
const h1 = labHost(1);
const WINDOW_MS = 6_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ptrace is not permitted here (no strace), so the agent runs `ip` through a logging wrapper first on its PATH:
// it writes its arguments, then executes the real one.
const wrapDir = mkdtempSync(join(tmpdir(), 'xnet-ip-wrap-'));
const ipLog = join(wrapDir, 'ip.log');
writeFileSync(join(wrapDir, 'ip'), `#!/bin/sh\necho "$*" >> ${ipLog}\nexec /usr/sbin/ip "$@"\n`, {
  mode: 0o755,
});
writeFileSync(ipLog, '');

/** `ip -json -s ...` processes the agent started while `during` ran. */
async function ipReadsDuring(during: () => Promise<void>): Promise<number> {
  const before = readFileSync(ipLog, 'utf8').length;
  await during();
  return readFileSync(ipLog, 'utf8')
    .slice(before)
    .split('\n')
    .filter((l) => l.startsWith('-json -s ')).length;
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
    const up = await xnet(['lab', 'up', '--hosts', '1', '--no-docker', '--no-standby'], {
      PATH: `${wrapDir}:${process.env.PATH ?? ''}`,
    });
    expect(up.code, up.stderr).toBe(0);
  });

  afterAll(async () => {
    await xnet(['lab', 'down']);
    rmSync(wrapDir, { recursive: true, force: true });
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
    // The readers, one per namespace (host and overlay), started once: before, `-json -s -details link show`.
    const started = readFileSync(ipLog, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('-json -s '));
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.every((l) => l === '-json -s -details -batch -')).toBe(true);
    let answers: { at: number; asked: number }[] = [];
    const asked = await ipReadsDuring(async () => {
      answers = await callers(2);
    });
    // Telemetry's own, one reading a second in each of two namespaces: no process (on main, 12 in the window).
    expect(idle).toBe(0);
    // Before, each call read both namespaces: 2 callers x 12 calls x 2 = 48 more.
    expect(asked).toBe(0);
    // Each answer is telemetry's latest reading (it still reads every second): at most 1.5 s before it was
    // asked for.
    expect(answers.length).toBeGreaterThanOrEqual(12);
    for (const a of answers) expect(a.asked - a.at).toBeLessThanOrEqual(1_500 + 500);
  }, 90_000);
});
