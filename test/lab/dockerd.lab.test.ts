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
    const staged = await dockerd(['set', 'bridge=br0', 'bip=172.25.11.1/24']);
    expect(staged.code).toBe(0);
    expect(staged.stdout).toMatch(/mutually exclusive/);
    const r = await dockerd(['apply', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /refused, nothing written: bridge=br0 and bip=172.25.11.1\/24 are mutually exclusive/,
    );
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
      await dockerd(['set', 'mtu=1400']);
      const r = await dockerd(['apply', '--yes']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/will not overwrite it/);
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
});
