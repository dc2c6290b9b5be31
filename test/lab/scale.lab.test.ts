import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_RUN, NETNS_PREFIX, labHost } from '../../src/lab/layout.js';
import { readPid } from '../../src/lab/process.js';
import type { LabHostStatus } from '../../src/lab/lab.js';
import { sh, xnet, xnetJson } from '../helpers/cli.js';
import { labUp, labUpCli, type LabUp } from '../helpers/lab.js';

// Issue 16 item 3: the lighter lab that reaches 50 hosts, checked at 2 (the 50-host run is bench/mesh's).
const rssMb = (pid: number): number =>
  (Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * 4096) / 2 ** 20;
const childrenOf = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);

/** Two hosts with an agent only, no standby: the lab bench/mesh grows to 50. */
const LEAN: LabUp = { hosts: 2, docker: false, standby: false };

describe('a lab for scale', () => {
  afterAll(async () => {
    await xnet(['lab', 'down']);
  });

  it('--docker-on a host outside the lab is bad input, and nothing is made', async () => {
    const r = await labUpCli({ hosts: 2, docker: false, dockerOn: ['h1', 'h3'] }, ['--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { kind: 'bad_input', field: 'docker-on' } });
    expect(
      sh('ip', ['netns', 'list'])
        .split('\n')
        .filter((l) => l.startsWith(NETNS_PREFIX)),
    ).toEqual([]);
    expect(existsSync(LAB_RUN)).toBe(false);
  });

  it('--no-docker --no-standby: hosts with an agent only, a lean supervisor, and a footprint that says so', async () => {
    const r = await labUp(LEAN);
    expect(r.hosts.map((h) => [h.name, h.dockerd.pid, h.agent.answering])).toEqual([
      ['h1', null, true],
      ['h2', null, true],
    ]);
    expect(r.footprint.roles.map((x) => [x.role, x.count])).toEqual([
      ['agent', 2],
      ['supervisor', 2],
    ]);
    expect(r.footprint.hosts).toBe(2);
    expect(r.footprint.startSeconds).toBeGreaterThan(0);
    for (const h of [labHost(1), labHost(2)]) {
      const supervisor = readPid(h.supervisorPidfile)!;
      // The supervisor runs its own entry point, not the CLI, and keeps the agent only: no standby.
      expect(readFileSync(`/proc/${supervisor}/cmdline`, 'utf8')).toMatch(
        /dist\/lab\/supervise-main\.js\0h\d\0$/,
      );
      expect(childrenOf(supervisor)).toEqual([readPid(h.agentPidfile)]);
      // The CLI loaded as a supervisor held 77 MB; node's built-ins alone about 45.
      expect(rssMb(supervisor)).toBeLessThan(60);
    }
    // The human form ends with the time and memory line.
    const human = await labUpCli(LEAN);
    expect(human.stdout).toMatch(/\nlab: 2 hosts up in [\d.]+ s; lab memory \d+ MB: 2 agents \d+ MB .*load /);
    // No dockerd by choice is not a dockerd that is down.
    const status = await xnet(['lab', 'status']);
    expect(status.code, status.stderr).toBe(0);
    for (const h of ['h1', 'h2'])
      expect(status.stdout).toMatch(new RegExp(`^${h} .* no dockerd \\(by choice\\) `, 'm'));
    expect(status.stdout).not.toMatch(/\bdown\b/);
    const json = await xnetJson<{ hosts: LabHostStatus[] }>(['lab', 'status']);
    expect(json.hosts.map((h) => [h.name, h.dockerd.answering, h.dockerd.wanted])).toEqual([
      ['h1', false, false],
      ['h2', false, false],
    ]);
  }, 120_000);

  it('--docker-on gives the named hosts a dockerd all the same (containers at the ends of a big mesh)', async () => {
    const r = await labUp({ ...LEAN, dockerOn: ['h2'] });
    expect(r.hosts.map((h) => [h.name, h.dockerd.answering])).toEqual([
      ['h1', false],
      ['h2', true],
    ]);
    expect(
      sh('nsenter', [`--net=${labHost(2).netnsPath}`, '--', 'docker', '-H', labHost(2).dockerHost, 'images']),
    ).toMatch(/xnet\/busybox/);
  }, 120_000);

  it('an agent killed without a standby is started again by its supervisor', async () => {
    const h = labHost(1);
    const before = readPid(h.agentPidfile)!;
    process.kill(before, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let st: { code: number } = { code: -1 };
    while (Date.now() < deadline) {
      st = await xnet(['--lab', 'h1', '--no-start', 'status']);
      if (st.code === 0 && readPid(h.agentPidfile) !== before) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(st.code).toBe(0);
    expect(readPid(h.agentPidfile)).not.toBe(before);
  }, 60_000);
});
