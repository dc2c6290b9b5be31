import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { RatesNow, RatesResult, type RateSample } from '../../src/api/rates.js';
import { ratesNow } from '../../src/cli/rates-json.js';
import { registerStatus } from '../../src/cli/status.js';
import { INGRESS, EGRESS, parseDump, sampleOf } from '../../src/telemetry/bpf/table.js';
import type { XnetError } from '../../src/errors.js';

// Samples of the real shape, from a real `bpftool -j map dump` of the counter map (the telemetry fixture):
// every field the agent fills (both directions, the protocol split, GSO segments).
const dump = parseDump(
  readFileSync(join(import.meta.dirname, '..', 'telemetry', 'fixtures', 'counters-dump.json'), 'utf8'),
);
const T0 = 1_764_490_000_000;
const minute = (dir: number): RateSample[] =>
  Array.from({ length: 60 }, (_, i) => sampleOf(dump, T0 + i * 1000, 2, '', dir));

/** A `rates` answer as the agent gives it with `n` attached containers and 3 peers, a minute of history each. */
function answer(n: number): RatesResult {
  const ids = Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, 'c'));
  return RatesResult.parse({
    at: T0 + 60_500,
    source: 'ebpf',
    counters: {
      source: 'ebpf',
      state: 'running',
      reason: null,
      since: new Date(T0).toISOString(),
      lastReadAt: T0 + 60_000,
      ageMs: 500,
      readMs: 12,
      hooks: [
        ...ids.map((id, i) => ({
          name: `vx${id.slice(0, 12)}`,
          role: 'container',
          ifindex: 10 + i,
          what: `ingress+egress of the container's host-side veth (slot ${i} of the counters' array)`,
        })),
        {
          name: 'eth0',
          role: 'underlay',
          ifindex: 2,
          what: 'ingress+egress, UDP port 4789, by outer peer address',
        },
      ],
    },
    historySeconds: 60,
    bridge: minute(EGRESS),
    containers: ids.map((id, i) => ({
      container: `web-${i}`,
      containerId: id,
      mac: '0e:12:34:56:78:9a',
      addresses: [`10.32.${i >> 8}.${i & 255}/12`],
      series: minute(EGRESS),
    })),
    peers: [2, 3, 4].map((h) => ({
      address: `198.18.0.${h}`,
      nickname: `h${h}`,
      source: 'ebpf',
      series: minute(INGRESS),
    })),
    eventLoopDelay: Array.from({ length: 60 }, (_, i) => ({ t: T0 + i * 1000, p99Ms: 1.2, maxMs: 3.4 })),
  });
}

/** As `emit` prints it. */
const printed = (x: unknown): number => Buffer.byteLength(JSON.stringify(x, null, 2) + '\n');

describe('status rates --json', () => {
  it("is each row's last second, not a minute of them: bounded per container at 200", () => {
    const full = answer(200);
    const now = ratesNow(full);
    const [fullBytes, nowBytes] = [printed(full), printed(now)];
    console.log(
      `200 containers, 3 peers: --series ${(fullBytes / 1e6).toFixed(1)} MB, default ${(nowBytes / 1e3).toFixed(0)} kB`,
    );
    // What made it big: 60 samples a row, each ~0.7 kB printed.
    expect(fullBytes).toBeGreaterThan(8_000_000);
    // One sample a row, and the row's own fields and hook line: under 2 kB a container, all told.
    expect(nowBytes).toBeLessThan(200 * 2_000);
    expect(printed(ratesNow(answer(400)))).toBeLessThan(400 * 2_000);
    expect(RatesNow.parse(now)).toEqual(now);
  });

  it('keeps every row with the figures the table shows (the newest sample); null where none', () => {
    const full = answer(3);
    full.peers[0]!.series = [];
    const now = ratesNow(full);
    expect(now.containers.map((c) => c.container)).toEqual(['web-0', 'web-1', 'web-2']);
    expect(now.containers[1]).toEqual({
      container: 'web-1',
      containerId: full.containers[1]!.containerId,
      mac: '0e:12:34:56:78:9a',
      addresses: ['10.32.0.1/12'],
      last: full.containers[1]!.series.at(-1),
    });
    expect(now.containers[0]!.last).toMatchObject({ t: T0 + 59_000, rx: { packets: 6, bytes: 3220 } });
    expect(now.bridge).toEqual(full.bridge.at(-1));
    expect(now.peers.map((p) => [p.address, p.last?.t ?? null])).toEqual([
      ['198.18.0.2', null],
      ['198.18.0.3', T0 + 59_000],
      ['198.18.0.4', T0 + 59_000],
    ]);
    expect(now.counters).toEqual(full.counters);
    expect(now).not.toHaveProperty('eventLoopDelay');
  });

  it('--series without rates --json is bad input (exit 2), the field named, before any agent is asked', async () => {
    for (const argv of [
      ['status', 'rates', '--series'],
      ['--json', 'status', 'peers', '--series'],
    ]) {
      const program = new Command()
        .exitOverride()
        .option('--socket <path>')
        .option('--no-start')
        .option('--json');
      registerStatus(program);
      const run = program.parseAsync(['--socket', '/nonexistent/agent.sock', '--no-start', ...argv], {
        from: 'user',
      });
      await expect(run).rejects.toMatchObject({ kind: 'bad_input', field: 'series' });
      expect(((await run.catch((e: unknown) => e)) as XnetError).exitCode).toBe(2);
    }
  });
});
