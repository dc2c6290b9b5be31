import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NETNS_PREFIX, labHost } from '../../src/lab/layout.js';
import { labDockerdFiles } from '../../src/lab/dockerd.js';
import { DROP_IN_NAME } from '../../src/docker/config/plan.js';
import { labSh, sh, xnet } from '../helpers/cli.js';
import type { Result } from '../../src/api/index.js';

// dockerd options against a real lab dockerd: the bridge method end to end, refusals, automatic rollback.
const h1 = labHost(1);
const { config: DAEMON_JSON, unitDir } = labDockerdFiles(h1);
const DROP_IN = join(unitDir, 'docker.service.d', DROP_IN_NAME);
const PEER = `${NETNS_PREFIX}peer25`;
const STAGED = join(h1.agentStateDir, 'dockerd-staged.json');

const bytes = (path: string): Buffer | null => (existsSync(path) ? readFileSync(path) : null);
const inH1 = (argv: string[]): string => sh('ip', ['-n', h1.netns, ...argv]);
const dockerd = (args: string[]): ReturnType<typeof xnet> => xnet(['--lab', 'h1', 'dockerd', ...args]);
function dockerHealthy(): boolean {
  try {
    labSh('h1', ['docker', 'ps']);
    return true;
  } catch {
    return false;
  }
}

describe('dockerd options on a real lab host', () => {
  beforeAll(async () => {
    const up = await xnet(['lab', 'up', '--hosts', '1']);
    expect(up.code, up.stderr).toBe(0);
    // The host's LAN bridge holding 172.25.11.1/24, and a namespace on it at 172.25.11.25.
    inH1(['link', 'add', 'br0', 'type', 'bridge']);
    inH1(['addr', 'add', '172.25.11.1/24', 'dev', 'br0']);
    inH1(['link', 'set', 'br0', 'up']);
    sh('ip', ['netns', 'add', PEER]);
    inH1(['link', 'add', 'v25', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', PEER]);
    inH1(['link', 'set', 'v25', 'master', 'br0', 'up']);
    sh('ip', ['-n', PEER, 'addr', 'add', '172.25.11.25/24', 'dev', 'eth0']);
    sh('ip', ['-n', PEER, 'link', 'set', 'eth0', 'up']);
  });

  afterAll(async () => {
    // lab down removes every xnet namespace, the peer's included.
    await xnet(['lab', 'down']);
  });

  it('shows each option with its source: the lab unit gives --host, the rest are defaults', async () => {
    const r = await dockerd(['show', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const show = JSON.parse(r.stdout) as Result<'dockerd.show'>;
    expect(show.configPath).toBe(DAEMON_JSON);
    const byKey = Object.fromEntries(show.options.map((o) => [o.key, o]));
    expect(byKey.hosts).toMatchObject({
      source: 'flag',
      value: [h1.dockerHost],
      file: join(unitDir, 'docker.service'),
    });
    expect(byKey.bridge).toMatchObject({ source: 'default', value: null });
    expect(byKey.iptables).toMatchObject({ source: 'default', value: true });
    expect(show.findings).toEqual([]);
  });

  it('refuses an invalid combination with the reason, leaving the files byte-for-byte unchanged', async () => {
    const before = bytes(DAEMON_JSON);
    // Something valid staged first: the refused set must leave it as it was.
    expect((await dockerd(['set', 'mtu=1400'])).code).toBe(0);
    const stagedBefore = bytes(STAGED);
    expect(stagedBefore).not.toBeNull();
    const staged = await dockerd(['set', 'bridge=br0', 'bip=172.25.11.1/24']);
    expect(staged.code).toBe(2);
    expect(staged.stderr).toMatch(
      /refused, nothing staged: bridge=br0 and bip=172.25.11.1\/24 are mutually exclusive/,
    );
    expect(staged.stderr).toMatch(/xnet-tui dockerd unset bip/);
    expect(bytes(STAGED)).toEqual(stagedBefore);
    const json = await dockerd(['set', 'bridge=br0', 'bip=172.25.11.1/24', '--json']);
    expect(json.code).toBe(2);
    expect(bytes(STAGED)).toEqual(stagedBefore);
    // hosts without the unix socket the agent talks to dockerd on: refused, with the socket kept in the hint.
    const tcp = await dockerd(['set', 'hosts=tcp://127.0.0.1:2375']);
    expect(tcp.code).toBe(2);
    expect(tcp.stderr).toMatch(new RegExp(`hosts=${h1.dockerHost},tcp://127\\.0\\.0\\.1:2375`));
    expect(bytes(STAGED)).toEqual(stagedBefore);
    expect((await dockerd(['discard'])).code).toBe(0);
    expect(bytes(DAEMON_JSON)).toEqual(before);
    expect(bytes(DROP_IN)).toBeNull();
    // A malformed value is refused at stage time, naming the key.
    const bad = await dockerd(['set', 'fixed-cidr=172.25.11.0/33']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/\(fixed-cidr\).*not an IPv4 CIDR/);
    expect((await dockerd(['discard'])).code).toBe(0);
  });

  it('applies bridge=br0 fixed-cidr=172.25.11.0/25: a new container is on br0 and pings 172.25.11.25', async () => {
    expect((await dockerd(['set', 'bridge=br0', 'fixed-cidr=172.25.11.0/25'])).code).toBe(0);
    const r = await dockerd(['apply', '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const applied = JSON.parse(r.stdout) as Result<'dockerd.apply'>;
    expect(applied.outcome).toBe('applied');
    expect(JSON.parse(readFileSync(DAEMON_JSON, 'utf8'))).toEqual({
      bridge: 'br0',
      'fixed-cidr': '172.25.11.0/25',
    });

    labSh('h1', ['docker', 'run', '-d', '--name', 'web', 'xnet/busybox', 'sleep', '3600']);
    const ip = labSh('h1', ['docker', 'inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web']).trim();
    expect(ip).toMatch(/^172\.25\.11\.(\d+)$/);
    expect(Number(ip.split('.')[3])).toBeLessThan(128);
    const ping = labSh('h1', ['docker', 'exec', 'web', 'ping', '-c', '2', '-W', '2', '172.25.11.25']);
    expect(ping).toMatch(/2 packets received/);
  }, 120_000);

  it('rolls back by itself when dockerd fails to start, and says why in its own words', async () => {
    const before = bytes(DAEMON_JSON);
    // Passes validation (with the confirmation) but dockerd cannot bind an address this host does not have.
    const set = await dockerd(['set', `hosts=${h1.dockerHost},tcp://192.0.2.77:2375`]);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/gets root on this host/);
    expect((await dockerd(['apply', '--yes'])).code).toBe(2); // not confirmed
    expect(bytes(DROP_IN)).toBeNull();

    const r = await dockerd(['apply', '--yes', '--allow-insecure-tcp', '--json']);
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout) as Result<'dockerd.apply'>;
    expect(res.outcome).toBe('rolled-back');
    expect(res.reason).toMatch(/exited during start-up/);
    expect(res.daemonLog.join('\n')).toMatch(
      /listen tcp 192\.0\.2\.77:2375: bind: cannot assign requested address/,
    );
    expect(res.files.map((f) => f.path)).toEqual([DROP_IN]);
    expect(dockerHealthy()).toBe(true);
    expect(bytes(DAEMON_JSON)).toEqual(before);
    expect(bytes(DROP_IN)).toBeNull();

    const human = await dockerd(['apply', '--yes', '--allow-insecure-tcp']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/apply FAILED and was rolled back/);
    expect(human.stdout).toMatch(/dockerd's log:\n.*cannot assign requested address/);
    expect((await dockerd(['discard'])).code).toBe(0);
  }, 180_000);

  it('reports a broken daemon.json and never overwrites it', async () => {
    const good = readFileSync(DAEMON_JSON);
    const broken = '{\n  "bridge": "br0",,\n}\n';
    writeFileSync(DAEMON_JSON, broken);
    try {
      const show = JSON.parse((await dockerd(['show', '--json'])).stdout) as Result<'dockerd.show'>;
      expect(show.daemonJson.state).toBe('invalid');
      expect(show.findings.map((f) => f.rule)).toEqual(['file-unusable']);
      // Nothing can be staged while the file is broken, and apply has nothing to write over it.
      const set = await dockerd(['set', 'mtu=1400']);
      expect(set.code).toBe(1);
      expect(set.stderr).toMatch(/will not overwrite it/);
      const r = await dockerd(['apply', '--yes']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/nothing is staged/);
      expect(readFileSync(DAEMON_JSON, 'utf8')).toBe(broken);
    } finally {
      writeFileSync(DAEMON_JSON, good);
      await dockerd(['discard']);
    }
  });

  it('rollback restores the last applied backup and dockerd comes back', async () => {
    const r = await dockerd(['rollback', '--yes', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as Result<'dockerd.rollback'>).outcome).toBe('applied');
    expect(readFileSync(DAEMON_JSON, 'utf8')).toBe('{}\n');
    expect(dockerHealthy()).toBe(true);
    const show = JSON.parse((await dockerd(['show', '--json'])).stdout) as Result<'dockerd.show'>;
    expect(show.options.find((o) => o.key === 'bridge')!.source).toBe('default');
  }, 120_000);

  it('apply names the running containers it stops, reports their real state, and starts them again', async () => {
    labSh('h1', ['docker', 'run', '-d', '--name', 'app', 'xnet/busybox', 'sleep', '3600']);
    const att = await xnet(['--lab', 'h1', 'attach', '10.40.1.5/24', 'app']);
    expect(att.code, att.stderr).toBe(0);
    expect((await dockerd(['set', 'mtu=1400'])).code).toBe(0);
    // Before: diff (and apply, before its confirmation) says which containers the restart stops.
    const diff = JSON.parse((await dockerd(['diff', '--json'])).stdout) as Result<'dockerd.diff'>;
    expect(diff.impact?.liveRestore).toBe(false);
    expect(diff.impact?.running.map((c) => c.name)).toContain('app');
    expect((await dockerd(['diff'])).stdout).toMatch(
      /live-restore is off: \d+ running container\(s\) will STOP: .*app/,
    );

    const r = await dockerd(['apply', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout) as Result<'dockerd.apply'>;
    expect(res.outcome).toBe('applied');
    // After: each container's real state, as docker has it.
    const app = res.containers.find((c) => c.name === 'app');
    expect(app).toMatchObject({ wasRunning: true, running: false });
    expect(app!.status).toMatch(/^Exited \(\d+\)/);
    expect(running('app')).toBe(false);

    const start = await dockerd(['start-containers', 'app']);
    expect(start.code, start.stderr).toBe(0);
    expect(running('app')).toBe(true);
    expect(await addressesSoon('app', ['10.40.1.5/24'])).toEqual(['10.40.1.5/24']);

    // --restart-containers: the same restart, and what it stopped runs again with its address.
    expect((await dockerd(['set', 'mtu=1450'])).code).toBe(0);
    const again = await dockerd(['apply', '--yes', '--restart-containers']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/will STOP: .*app/);
    expect(again.stdout).toMatch(/started again: .*app/);
    expect(again.stdout).toMatch(/app\s+running\s+Up /);
    expect(running('app')).toBe(true);
    expect(await addressesSoon('app', ['10.40.1.5/24'])).toEqual(['10.40.1.5/24']);
  }, 180_000);
});

function running(name: string): boolean {
  return labSh('h1', ['docker', 'inspect', '-f', '{{.State.Running}}', name]).trim() === 'true';
}

/** The container's ethwe IPv4 addresses once they equal `want`, or what they are after 5 s. */
async function addressesSoon(name: string, want: string[]): Promise<string[]> {
  let got: string[] = [];
  for (let i = 0; i < 50; i++) {
    const pid = labSh('h1', ['docker', 'inspect', '-f', '{{.State.Pid}}', name]).trim();
    try {
      const links = JSON.parse(
        sh('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', '-json', 'addr', 'show', 'ethwe']),
      ) as Array<{
        addr_info: Array<{ local: string; prefixlen: number; family: string }>;
      }>;
      got = links.flatMap((l) =>
        l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      );
    } catch {
      got = [];
    }
    if (JSON.stringify(got) === JSON.stringify(want)) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}
