import { existsSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_DATA, LAB_RUN, NETNS_PREFIX } from '../../src/lab/layout.js';
import { pidsMentioning } from '../../src/lab/process.js';
import { xnet, xnetJson, sh } from '../helpers/cli.js';
import type { LabHostStatus } from '../../src/lab/lab.js';

const labNamespaces = (): string[] =>
  sh('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((l) => l.startsWith(NETNS_PREFIX));
const rootLinks = (): string[] =>
  (JSON.parse(sh('ip', ['-json', 'link', 'show'])) as Array<{ ifname: string }>).map((l) => l.ifname).sort();
const labMounts = (): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(`${LAB_RUN}/`) || l.includes(`${LAB_DATA}/`));

describe('the lab', () => {
  const linksBefore = rootLinks();

  afterAll(async () => {
    await xnet(['lab', 'down']);
  });

  it('brings up two hosts, each with its own dockerd and agent, and a second up changes nothing', async () => {
    const first = await xnetJson<{ hosts: LabHostStatus[] }>(['lab', 'up', '--hosts', '2']);
    expect(first.hosts.map((h) => [h.name, h.address, h.dockerd.answering, h.agent.answering])).toEqual([
      ['h1', '198.18.0.1', true, true],
      ['h2', '198.18.0.2', true, true],
    ]);
    const second = await xnetJson<{ hosts: LabHostStatus[] }>(['lab', 'up', '--hosts', '2']);
    expect(second.hosts.map((h) => [h.dockerd.pid, h.agent.pid])).toEqual(
      first.hosts.map((h) => [h.dockerd.pid, h.agent.pid]),
    );
    // The LAN, its gateway (every host's default route) and the hosts.
    expect(labNamespaces().sort()).toEqual(['gw', 'h1', 'h2', 'lan'].map((n) => NETNS_PREFIX + n));
    // Nothing the lab made lives in the root namespace.
    expect(rootLinks()).toEqual(linksBefore);
  });

  it('wires the hosts together on the underlay', () => {
    const out = sh('nsenter', [
      `--net=/run/netns/${NETNS_PREFIX}h1`,
      '--',
      'ping',
      '-c',
      '1',
      '-W',
      '2',
      '198.18.0.2',
    ]);
    expect(out).toMatch(/1 (packets )?received/);
  });

  it("runs commands inside a host with that host's dockerd and agent", async () => {
    const r = await xnet([
      'lab',
      'exec',
      'h2',
      '--',
      'sh',
      '-c',
      'echo $DOCKER_HOST; ip -4 -o addr show eth0; docker images --format "{{.Repository}}"',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`unix://${LAB_RUN}/h2/docker.sock`);
    expect(r.stdout).toContain('198.18.0.2/24');
    expect(r.stdout).toContain('xnet/busybox');
    const failing = await xnet(['lab', 'exec', 'h2', '--', 'sh', '-c', 'exit 7']);
    expect(failing.code).toBe(7);
    const status = await xnetJson<{ dockerHost: string }>(['--lab', 'h2', 'status']);
    expect(status.dockerHost).toBe(`unix://${LAB_RUN}/h2/docker.sock`);
  });

  it('refuses unknown hosts and bad host counts with exit 2', async () => {
    expect((await xnet(['lab', 'exec', 'h9', '--', 'true'])).code).toBe(2);
    expect((await xnet(['--lab', 'web', 'status'])).code).toBe(2);
    const r = await xnet(['lab', 'up', '--hosts', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\(hosts\)/);
  });

  it("restarts one host's agent and leaves the other's alone; a killed supervisor is started anew", async () => {
    const before = await xnetJson<{ hosts: LabHostStatus[] }>(['lab', 'status']);
    const pidOf = (hs: LabHostStatus[], name: string) => hs.find((h) => h.name === name)!.agent.pid;
    const r = await xnetJson<{ host: string; pid: number; supervisorStarted: boolean }>([
      'lab',
      'restart',
      'h2',
    ]);
    expect(r.host).toBe('h2');
    expect(r.supervisorStarted).toBe(false);
    const after = await xnetJson<{ hosts: LabHostStatus[] }>(['lab', 'status']);
    expect(pidOf(after.hosts, 'h2')).toBe(r.pid);
    expect(r.pid).not.toBe(pidOf(before.hosts, 'h2'));
    expect(pidOf(after.hosts, 'h1')).toBe(pidOf(before.hosts, 'h1'));
    expect(after.hosts.map((h) => h.dockerd.pid)).toEqual(before.hosts.map((h) => h.dockerd.pid));

    // Killed outright, as bench/mesh does: the supervisor and its agents, SIGKILL.
    const supervisor = Number(readFileSync(`${LAB_RUN}/h2/supervisor.pid`, 'utf8').trim());
    for (const pid of [supervisor, ...pidsMentioning(`${LAB_RUN}/h2/agent.sock`)])
      process.kill(pid, 'SIGKILL');
    const again = await xnetJson<{ pid: number; supervisorStarted: boolean }>(['lab', 'restart', 'h2']);
    expect(again.supervisorStarted).toBe(true);
    const status = await xnetJson<{ hosts: LabHostStatus[] }>(['lab', 'status']);
    expect(status.hosts.find((h) => h.name === 'h2')!.agent.answering).toBe(true);
    expect(pidOf(status.hosts, 'h1')).toBe(pidOf(before.hosts, 'h1'));

    const bad = await xnet(['lab', 'restart', 'h9']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\(host\)/);
  });

  it('down leaves nothing behind: no namespace, link, process, mount or file', async () => {
    const r = await xnet(['lab', 'down']);
    expect(r.code).toBe(0);
    expect(labNamespaces()).toEqual([]);
    expect(rootLinks()).toEqual(linksBefore);
    expect(pidsMentioning(`${LAB_RUN}/`)).toEqual([]);
    expect(pidsMentioning(`${LAB_DATA}/`)).toEqual([]);
    expect(labMounts()).toEqual([]);
    expect(existsSync(LAB_RUN)).toBe(false);
    expect(existsSync(LAB_DATA)).toBe(false);
    // And a second down is a no-op success.
    expect((await xnet(['lab', 'down'])).code).toBe(0);
  });
});
