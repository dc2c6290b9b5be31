import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rootfsTar } from '../../src/lab/image.js';
import { labHost } from '../../src/lab/layout.js';
import type { ConnectionStatus, IpamStatus, PeerStatus, RouterStatus } from '../../src/router/driver.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { agentFpings, autoChecks } from '../helpers/probes.js';

// One real lab host with its own dockerd. No registry is reachable, so Weave's router cannot run here; two
// STAND-INS take its place, named as such:
//  - a STAND-IN IMAGE tagged weaveworks/weave:2.8.1, imported from the busybox rootfs, whose entrypoint prints one
//    router log line and sleeps; the real dockerd creates and runs the container from our specification;
//  - a STAND-IN HTTP SERVER (test/helpers/weave-standin.mjs) on 127.0.0.1:6784 inside the lab host's namespace,
//    serving reports shaped like Weave's status structs (test/fixtures/weave/mixed.json: every connection state).
const h1 = labHost(1);
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'weave');
const STANDIN = join(import.meta.dirname, '..', 'helpers', 'weave-standin.mjs');
const IMAGE = 'weaveworks/weave:2.8.1';
const PASSWORD = 'correct horse battery staple';
const SLEEVE_LOG =
  'INFO: 2026/11/25 09:00:10.000001 overlay_switch ->[7a:cc:00:00:00:03(three)] fastdp timed out waiting for vxlan heartbeat';

const docker = new Docker({ socketPath: h1.dockerSocket });
const dir = mkdtempSync(join(tmpdir(), 'xnet-weave-'));
const passwordFile = join(dir, 'password');
let standin: ChildProcess | undefined;

const nsh = (argv: string[]): string => sh('nsenter', [`--net=${h1.netnsPath}`, '--', ...argv]);
/** Talks to the stand-in's control endpoints from inside h1's namespace (it listens on h1's loopback only). */
function control(method: string, path: string): string {
  const script = `fetch('http://127.0.0.1:6784${path}', { method: '${method}' }).then((r) => r.text()).then((t) => process.stdout.write(t))`;
  return nsh([process.execPath, '-e', script]);
}
const requests = (): Array<{ method: string; path: string; body: string }> =>
  JSON.parse(control('GET', '/_standin/requests')) as Array<{ method: string; path: string; body: string }>;

async function inspect(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  return docker
    .getContainer(name)
    .inspect()
    .catch(() => undefined);
}
async function weaveContainers(): Promise<string[]> {
  const all = await docker.listContainers({ all: true });
  return all
    .map((c) => (c.Names[0] ?? '').replace(/^\//, ''))
    .filter((n) => /^weave/.test(n))
    .sort();
}
const stateFile = (): string => {
  const f = join(h1.agentStateDir, 'state.json');
  return existsSync(f) ? readFileSync(f, 'utf8') : '';
};

async function importStandinImage(): Promise<void> {
  const entrypoint = JSON.stringify(['/bin/sh', '-c', `echo '${SLEEVE_LOG}'; exec sleep 86400`, 'weaver']);
  const stream = await docker.importImage(
    createReadStream(await rootfsTar()) as unknown as string,
    {
      repo: 'weaveworks/weave',
      tag: '2.8.1',
      changes: ['ENV PATH=/bin', `ENTRYPOINT ${entrypoint}`],
    } as unknown as Record<string, unknown>,
  );
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
  );
}

async function startStandinServer(): Promise<void> {
  standin = spawn(
    'nsenter',
    [`--net=${h1.netnsPath}`, '--', process.execPath, STANDIN, FIXTURES, 'mixed', '127.0.0.1:6784'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    standin!.once('exit', (code) => reject(new Error(`weave stand-in exited (${code})`)));
    standin!.stdout!.once('data', () => resolve());
  });
}

describe('the weave driver on a lab host (stand-in image and stand-in Weave API)', () => {
  beforeAll(async () => {
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const up = await xnet(['lab', 'up', '--hosts', '1']);
    expect(up.code, up.stderr).toBe(0);
    labSh('h1', ['docker', 'run', '-d', '--name', 'c1', 'xnet/busybox', 'sleep', '3600']);
  });

  afterAll(async () => {
    if (standin?.pid) process.kill(standin.pid, 'SIGTERM');
    await xnet(['lab', 'down']);
    rmSync(dir, { recursive: true, force: true });
  });

  it('without the image (no registry), launch fails naming the image and how to import it; nothing changed', async () => {
    const r = await xnet(['--lab', 'h1', 'launch', '--driver', 'weave', '--json']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const error = (JSON.parse(r.stdout) as { error: { message: string; hint: string } }).error;
    expect(error.message).toMatch(/weaveworks\/weave:2\.8\.1 is not on this host and could not be pulled/);
    expect(error.hint).toMatch(/docker load -i/);
    expect(await weaveContainers()).toEqual([]);
    expect(stateFile()).not.toContain('"router"');
  });

  it('refuses bad input with the field named, changing nothing', async () => {
    await importStandinImage();
    await startStandinServer();
    for (const [args, field] of [
      [['--range', '10.32.0.1/12'], 'range'],
      [['--range', '10.32.0.0/31'], 'range'],
      [['--password-file', join(dir, 'missing')], 'password-file'],
      [['not-a-peer'], 'peer'],
    ] as const) {
      const r = await xnet(['--lab', 'h1', 'launch', '--driver', 'weave', ...args, '--json']);
      expect(r.code, r.stdout).toBe(2);
      const error = (JSON.parse(r.stdout) as { error: { field: string; hint?: string } }).error;
      expect(error.field).toBe(field);
      expect(error.hint).toBeTruthy();
    }
    expect(await weaveContainers()).toEqual([]);
    expect(stateFile()).not.toContain('"router"');
  });

  const launchWeave = () =>
    xnet([
      '--lab',
      'h1',
      'launch',
      '--driver',
      'weave',
      '--nickname',
      'one',
      '--password-file',
      passwordFile,
      '198.18.0.2',
      '--json',
    ]);

  it('creates the router container as `weave launch` does, password in the environment only', async () => {
    const r = await launchWeave();
    // This machine cannot start privileged containers (its capability bounding set lacks CAP_SYS_RESOURCE), so
    // dockerd creates the router and refuses to start it; elsewhere it starts. The specification is what we check.
    if (r.code !== 0) {
      expect(r.code, r.stdout).toBe(1);
      const error = (JSON.parse(r.stdout) as { error: { message: string; hint: string } }).error;
      expect(error.message).toMatch(
        /created the router container weave but could not start it: .*apply caps/,
      );
      expect(error.hint).toMatch(/xnet-tui reset/);
    }
    const c = (await inspect('weave'))!;
    expect(c.Config.Image).toBe(IMAGE);
    expect(c.Config.Labels).toMatchObject({ 'io.xnet.driver': 'weave' });
    expect(c.HostConfig).toMatchObject({
      NetworkMode: 'host',
      PidMode: 'host',
      Privileged: true,
      RestartPolicy: { Name: 'always' },
      VolumesFrom: ['weavedb'],
    });
    expect(c.HostConfig.Binds).toContain(`${h1.dockerSocket}:/var/run/docker.sock`);
    expect(c.Config.Env).toContain(`WEAVE_PASSWORD=${PASSWORD}`);
    expect(JSON.stringify([c.Path, ...c.Args])).not.toContain('horse');
    expect(c.Config.Cmd).toEqual(
      expect.arrayContaining(['--port', '6783', '--nickname', 'one', '--ipalloc-range', '10.32.0.0/12']),
    );
    expect(c.Config.Cmd!.join(' ')).toMatch(/--http-addr 127\.0\.0\.1:6784 .*198\.18\.0\.2$/);
    for (const [name, volumes] of [
      ['weavedb', ['/weavedb']],
      ['weavevolumes-2.8.1', ['/w', '/w-noop', '/w-nomcast']],
    ] as const) {
      const v = (await inspect(name))!;
      expect(v.State.Status).toBe('created');
      expect(Object.keys(v.Config.Volumes ?? {}).sort()).toEqual([...volumes].sort());
      expect(v.Config.Labels).toHaveProperty('weavevolumes');
    }
    // reset removes all of it, whether or not the router got to run.
    expect((await xnet(['--lab', 'h1', 'reset'])).code).toBe(0);
    expect(await weaveContainers()).toEqual([]);
    expect(stateFile()).not.toContain('"router"');
  });

  it('on a host that already runs a Weave router, launch uses it and says so', async () => {
    // The operator's own router, started by hand (unprivileged: this machine cannot start a privileged one).
    const own = await docker.createContainer({
      name: 'weave',
      Image: IMAGE,
      Cmd: ['--port', '6783', '--nickname', 'theirs'],
      Env: [`WEAVE_PASSWORD=${PASSWORD}`],
      HostConfig: { NetworkMode: 'host', PidMode: 'host' },
    });
    await own.start();
    const pid = (await own.inspect()).State.Pid;
    // The process the kernel runs (host PID namespace) has no password in its argv, only in its environment.
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).not.toContain('horse');
    expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).toContain(`WEAVE_PASSWORD=${PASSWORD}`);

    const r = await launchWeave();
    // Launched; exit 1 because the router reports a failed connection (the fixture's 198.18.0.9).
    expect(r.code, r.stderr).toBe(1);
    const l = JSON.parse(r.stdout) as { router: RouterStatus };
    expect(l.router).toMatchObject({ driver: 'weave', state: 'running', name: '7a:aa:00:00:00:01' });
    expect(l.router.warnings.join(' ')).toMatch(/a Weave router not launched by xnet-tui runs here/);
    expect((await inspect('weave'))!.Id).toBe(own.id);
    // Its peer list is its own; ours reached it through the API.
    expect(requests()).toContainEqual({ method: 'POST', path: '/connect', body: 'peer=198.18.0.2' });
  });

  it('status carries Weave peers and every connection state, with transport and reasons', async () => {
    const s = await xnetJson<{ router: RouterStatus }>(['--lab', 'h1', 'status']);
    expect(s.router).toMatchObject({ driver: 'weave', state: 'running', nickname: 'one', encrypted: true });
    const plain = await xnet(['--lab', 'h1', 'status']);
    expect(plain.stdout).toMatch(/router +weave running, nickname one, encrypted/);

    const { connections } = await xnetJson<{ connections: ConnectionStatus[] }>([
      '--lab',
      'h1',
      'status',
      'connections',
    ]);
    const by = (a: string): ConnectionStatus => connections.find((c) => c.target === `${a}:6783`)!;
    expect(connections.map((c) => c.state)).toEqual([
      'established',
      'established',
      'pending',
      'failed',
      'retrying',
      'connecting',
    ]);
    expect(by('198.18.0.2')).toMatchObject({ transport: 'fastdp', encrypted: true });
    // The sleeve reason comes from the router container's own log, read through dockerd.
    expect(by('198.18.0.3')).toMatchObject({ transport: 'sleeve', encrypted: true });
    expect(by('198.18.0.3').reason).toMatch(/VXLAN heartbeats to three on UDP 6784 went unanswered/);
    expect(by('198.18.0.4').reason).toMatch(/TCP to four .* is up .* no heartbeat has come back over UDP/);
    expect(by('198.18.0.9').reason).toMatch(/nothing listens on 198\.18\.0\.9:6783\/tcp/);

    const table = await xnet(['--lab', 'h1', 'status', 'connections']);
    expect(table.stdout).toMatch(/TARGET +STATE +TRANSPORT +ENCRYPTED +WHY/);
    expect(table.stdout).toMatch(/198\.18\.0\.3:6783 +established +sleeve +yes +to three/);

    const { peers } = await xnetJson<{ peers: PeerStatus[] }>(['--lab', 'h1', 'status', 'peers']);
    expect(peers.map((p) => [p.nickname, p.self, p.dataPlane.state])).toEqual([
      ['one', true, 'reachable'],
      ['two', false, 'reachable'],
      ['three', false, 'reachable'],
      ['four', false, 'unreachable'],
    ]);
    const { ipam } = await xnetJson<{ ipam: IpamStatus }>(['--lab', 'h1', 'status', 'ipam']);
    expect(ipam).toMatchObject({ range: '10.32.0.0/12', status: 'ready' });
  });

  it('connect and forget go to the router as POST /connect and /forget', async () => {
    await xnetJson(['--lab', 'h1', 'connect', '198.18.0.6']);
    await xnetJson(['--lab', 'h1', 'forget', '198.18.0.6']);
    expect(requests().filter((r) => r.method === 'POST')).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/connect', body: 'peer=198.18.0.6' },
        { method: 'POST', path: '/forget', body: 'peer=198.18.0.6' },
      ]),
    );
    const bad = await xnet(['--lab', 'h1', 'connect', 'not-a-peer', '--json']);
    expect(bad.code).toBe(2);
  });

  it('attach plugs into the weave bridge with the address claimed in IPAM; detach releases it', async () => {
    const id = labSh('h1', ['docker', 'inspect', '-f', '{{.Id}}', 'c1']).trim();
    await xnetJson(['--lab', 'h1', 'attach', '10.32.0.5/12', 'c1']);
    expect(requests().map((r) => `${r.method} ${r.path}`)).toContain(
      `PUT /ip/${id}/10.32.0.5/12?check-alive=true`,
    );
    expect(labSh('h1', ['docker', 'exec', 'c1', 'ip', 'addr', 'show', 'ethwe'])).toContain('10.32.0.5/12');
    expect(nsh(['ip', '-o', 'link', 'show', 'master', 'weave'])).toContain(`vx${id.slice(0, 12)}`);

    // Another container somewhere in the mesh holds 10.32.0.9: IPAM refuses, and nothing changes here.
    control('POST', '/_standin/own?id=elsewhere&ip=10.32.0.9');
    const before = labSh('h1', ['docker', 'exec', 'c1', 'ip', 'addr', 'show', 'ethwe']);
    const refused = await xnet(['--lab', 'h1', 'attach', '10.32.0.9/12', 'c1', '--json']);
    expect(refused.code).toBe(2);
    const error = (JSON.parse(refused.stdout) as { error: { field: string; message: string } }).error;
    expect(error.field).toBe('cidr');
    expect(error.message).toMatch(/already owned by elsewhere/);
    expect(labSh('h1', ['docker', 'exec', 'c1', 'ip', 'addr', 'show', 'ethwe'])).toBe(before);

    await xnetJson(['--lab', 'h1', 'detach', '10.32.0.5/12', 'c1']);
    expect(requests().map((r) => `${r.method} ${r.path}`)).toContain(`DELETE /ip/${id}/10.32.0.5`);
  });

  it("gives each Weave peer one automatic check from the weave bridge to its bridge's link-local", async () => {
    // The probes need the bridge, which attach makes; the stand-in's peers exist nowhere, so nothing answers.
    await xnetJson(['--lab', 'h1', 'attach', '10.32.0.7/12', 'c1']);
    try {
      const checks = await autoChecks('h1', (c) => c.length === 3 && c.every((x) => x.state === 'down'));
      // Weave names a router by its bridge's MAC, so a peer's probe address is the EUI-64 link-local of its name.
      expect(checks.map((c) => [c.label, c.target, c.state])).toEqual([
        ['host -> peer two (198.18.0.2)', 'fe80::78bb:ff:fe00:2%weave', 'down'],
        ['host -> peer three (198.18.0.3)', 'fe80::78cc:ff:fe00:3%weave', 'down'],
        ['host -> peer four (198.18.0.4)', 'fe80::78dd:ff:fe00:4%weave', 'down'],
      ]);
      const targets = 'fe80::78bb:ff:fe00:2%weave fe80::78cc:ff:fe00:3%weave fe80::78dd:ff:fe00:4%weave';
      expect(agentFpings(h1)).toEqual([
        expect.stringMatching(new RegExp(`^fping -l .*-I weave -b \\d+ -M ${targets}$`)),
        expect.stringMatching(new RegExp(`^fping -l .*-I weave ${targets}$`)),
      ]);
    } finally {
      await xnetJson(['--lab', 'h1', 'detach', '10.32.0.7/12', 'c1']);
    }
  });

  it('switching drivers needs a reset, and says so', async () => {
    const r = await xnet(['--lab', 'h1', 'launch', '--driver', 'vxlan', '--json']);
    expect(r.code).toBe(2);
    const error = (JSON.parse(r.stdout) as { error: { field: string; message: string; hint: string } }).error;
    expect(error.field).toBe('driver');
    expect(error.message).toMatch(/router is weave \(running\); switching to vxlan needs a reset first/);
    expect(error.hint).toMatch(/xnet-tui reset/);
  });

  it('stop leaves the router stopped (restart policy off), and status says stopped', async () => {
    await xnetJson(['--lab', 'h1', 'stop']);
    const c = (await inspect('weave'))!;
    expect(c.State.Running).toBe(false);
    expect(c.HostConfig.RestartPolicy?.Name).toBe('no');
    const s = await xnetJson<{ router: RouterStatus }>(['--lab', 'h1', 'status']);
    expect(s.router).toMatchObject({ driver: 'weave', state: 'stopped', bridge: { name: 'weave' } });
    // Our probe loops stop with it (each fping is sent SIGTERM; give it a moment to go).
    for (let i = 0; i < 20 && agentFpings(h1).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(agentFpings(h1)).toEqual([]);
  });

  it('reset hands the ranges over (DELETE /peer) and removes the router, its data and its bridge', async () => {
    await xnetJson(['--lab', 'h1', 'reset']);
    expect(requests().map((r) => `${r.method} ${r.path}`)).toContain('DELETE /peer');
    expect(await weaveContainers()).toEqual([]);
    expect(nsh(['ip', '-o', 'link', 'show'])).not.toMatch(/: weave[:@]/);
    expect(stateFile()).not.toContain('"router"');
    expect(stateFile()).toContain('"attachments"');
  });
});
