import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { footprintLine, measureFootprint } from '../../src/lab/footprint.js';
import { labHost } from '../../src/lab/layout.js';

const dir = mkdtempSync(join(tmpdir(), 'xnet-footprint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("lab up's closing line: time and memory by role", () => {
  it('measures the processes the pidfiles name (this test process standing in for an agent)', () => {
    const h = {
      ...labHost(1),
      agentPidfile: join(dir, 'agent.pid'),
      supervisorPidfile: join(dir, 'none.pid'),
    };
    writeFileSync(h.agentPidfile, `${process.pid}\n`);
    const f = measureFootprint([{ ...h, dockerPidfile: join(dir, 'none.pid') }], 1.25);
    const agent = f.roles.find((r) => r.role === 'agent');
    // This process's own resident memory, as the kernel reports it.
    expect(agent?.count).toBe(1);
    expect(agent!.rssBytes).toBeGreaterThan(process.memoryUsage().heapUsed);
    expect(f.roles.map((r) => r.role)).toEqual(['agent']);
    expect(f.totalRssBytes).toBe(agent!.rssBytes);
    expect(footprintLine(f)).toMatch(
      /^1 host up in 1\.3 s; lab memory \d+ MB: 1 agent \d+ MB; machine \d+ MB of \d+ MB used, load [\d.]+ [\d.]+ [\d.]+$/,
    );
  });

  it("says per-role counts and each one's share", () => {
    const line = footprintLine({
      hosts: 50,
      startSeconds: 61.04,
      roles: [
        { role: 'agent', count: 50, rssBytes: 50 * 80 * 2 ** 20 },
        { role: 'supervisor', count: 50, rssBytes: 50 * 44 * 2 ** 20 },
        { role: 'dockerd', count: 2, rssBytes: 114 * 2 ** 20 },
      ],
      totalRssBytes: (4000 + 2200 + 114) * 2 ** 20,
      machine: { usedBytes: 8000 * 2 ** 20, totalBytes: 24000 * 2 ** 20, load: [20, 15.5, 9] },
    });
    expect(line).toBe(
      '50 hosts up in 61.0 s; lab memory 6314 MB: 50 agents 4000 MB (80 MB each), 50 supervisors 2200 MB (44 MB each), 2 dockerd processes 114 MB (57 MB each); machine 8000 MB of 24000 MB used, load 20.00 15.50 9.00',
    );
  });
});
