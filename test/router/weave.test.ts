import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XnetError } from '../../src/errors.js';
import { WeaveApi } from '../../src/router/weave/api.js';
import { routerArgs, routerContainer, volumeContainers } from '../../src/router/weave/container.js';
import { WeaveReport } from '../../src/router/weave/report.js';
import {
  connectionStatus,
  ipamStatus,
  parseInfo,
  peerStatuses,
  type Context,
} from '../../src/router/weave/status.js';
import { startStandin, type Standin } from '../helpers/weave-standin.mjs';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'weave');
const report = (name: string): WeaveReport =>
  WeaveReport.parse(JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')));
const ctx = (log: string[] = [], pendingSince = new Map<string, number>(), now = 0): Context => ({
  log,
  pendingSince,
  now,
});
const only = (name: string, c: Context = ctx()) => {
  const r = report(name);
  expect(r.Router.Connections).toHaveLength(1);
  return connectionStatus(r.Router.Connections[0]!, r, c);
};

describe('Weave report fixtures (shaped like Weave 2.8.1 status structs) mapped to ConnectionStatus', () => {
  it('parses the Info of a connection: encryption, overlay, peer', () => {
    expect(parseInfo('encrypted   fastdp 7a:bb:00:00:00:02(two)')).toEqual({
      encrypted: true,
      overlay: 'fastdp',
      name: '7a:bb:00:00:00:02',
      nick: 'two',
    });
    expect(parseInfo('sleeve 7a:bb:00:00:00:02(two)').encrypted).toBeUndefined();
    expect(parseInfo('dial tcp4: connection refused').overlay).toBeUndefined();
  });

  it('established over fastdp: transport, encryption (IPsec) and the kernel path in words', () => {
    const c = only('established-fastdp');
    expect(c).toMatchObject({
      target: '198.18.0.2:6783',
      state: 'established',
      transport: 'fastdp',
      encrypted: true,
    });
    expect(c.reason).toMatch(
      /to two \(7a:bb:00:00:00:02\): fastdp: the kernel carries the packets \(VXLAN on UDP 6784, mtu 1376\)/,
    );
    expect(c.reason).toMatch(/encrypted \(IPsec ESP\)/);
  });

  it('sleeve with fastdp here: the router log says the VXLAN heartbeats timed out', () => {
    const log = [
      'INFO: 2026/11/25 09:00:00.000001 ->[198.18.0.2:6783|7a:bb:00:00:00:02(two)]: connection added',
      'INFO: 2026/11/25 09:00:10.000001 overlay_switch ->[7a:bb:00:00:00:02(two)] fastdp timed out waiting for vxlan heartbeat',
    ];
    const c = only('established-sleeve', ctx(log));
    expect(c.transport).toBe('sleeve');
    expect(c.reason).toMatch(/VXLAN heartbeats to two on UDP 6784 went unanswered/);
    expect(c.reason).toMatch(/encrypted \(NaCl, in the router\)/);
  });

  it('sleeve with fastdp here: fastdp could not be set up for the connection', () => {
    const log = [
      'INFO: 2026/11/25 09:00:00.000001 Unable to use fastdp for connection to 7a:bb:00:00:00:02(two): no IPsec support',
    ];
    expect(only('established-sleeve', ctx(log)).reason).toMatch(
      /fastdp could not be set up for two: no IPsec support/,
    );
  });

  it('sleeve with fastdp here and nothing in the log: the peer offered no fast datapath', () => {
    expect(only('established-sleeve').reason).toMatch(/because two offers no fast datapath/);
  });

  it('sleeve because this router has no fast datapath at all; no password, not encrypted', () => {
    const c = only('sleeve-no-fastdp');
    expect(c).toMatchObject({ state: 'established', transport: 'sleeve', encrypted: false });
    expect(c.reason).toMatch(/this router has no fast datapath/);
    expect(c.reason).toMatch(/not encrypted \(no password set\)/);
  });

  it('pending: TCP up, UDP not, and for how long', () => {
    const c = only('pending', ctx([], new Map([['198.18.0.2:6783', 1_000]]), 43_000));
    expect(c.state).toBe('pending');
    expect(c.reason).toMatch(/TCP to two .* is up .* no heartbeat has come back over UDP for 42 s/);
    expect(c.reason).toMatch(/UDP 6783 \(sleeve\) and 6784 \(fastdp\)/);
  });

  it('failed: the error in words and when Weave tries again', () => {
    const c = only('failed');
    expect(c).toMatchObject({ target: '198.18.0.9:6783', state: 'failed' });
    expect(c.error).toBe('dial tcp4 :0->198.18.0.9:6783: connect: connection refused');
    expect(c.reason).toMatch(/nothing listens on 198.18.0.9:6783\/tcp: is Weave launched there\?/);
    expect(c.reason).toMatch(/next try 2026-11-25 09:14:07.125938 \+0000 UTC$/);
  });

  it('retrying and connecting', () => {
    const r = only('retrying');
    expect(r.state).toBe('retrying');
    expect(r.reason).toMatch(/198.18.0.7 does not answer on 6783\/tcp.*trying again now/);
    expect(only('connecting')).toMatchObject({ state: 'connecting', reason: 'first attempt under way' });
  });

  it('peers: self, direct (fastdp) and one known only through another peer', () => {
    const peers = peerStatuses(report('established-fastdp'), ctx());
    expect(peers.map((p) => [p.nickname, p.address, p.self, p.dataPlane.state])).toEqual([
      ['one', '198.18.0.1', true, 'reachable'],
      ['two', '198.18.0.2', false, 'reachable'],
      ['three', '198.18.0.3', false, 'unknown'],
    ]);
  });

  it('IPAM: owners and shares of the range', () => {
    const ipam = ipamStatus(report('established-fastdp').IPAM!);
    expect(ipam).toMatchObject({ range: '10.32.0.0/12', size: 1048576, active: 2, status: 'ready' });
    expect(ipam.owners.map((o) => [o.nickname, o.ips])).toEqual([
      ['one', 524288],
      ['two', 524288],
    ]);
  });

  it('refuses a report that is not Weave-shaped, naming where', () => {
    const bad = WeaveReport.safeParse({ Router: { Name: 'x', NickName: 'y', Encryption: 'no' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['Router', 'Encryption']);
  });
});

describe('the router container specification (what `weave launch` creates)', () => {
  const spec = routerContainer({
    nickname: 'one',
    range: '10.32.0.0/12',
    peers: ['198.18.0.2'],
    password: 's3cret pass',
    dockerSocket: '/run/docker.sock',
    exists: (p) => p === '/etc',
  });

  it('host network and PID namespace, privileged, restarted always, weavedb volumes', () => {
    expect(spec.HostConfig).toMatchObject({
      NetworkMode: 'host',
      PidMode: 'host',
      Privileged: true,
      RestartPolicy: { Name: 'always' },
      VolumesFrom: ['weavedb'],
      Binds: ['/run/docker.sock:/var/run/docker.sock', '/etc:/host/etc'],
    });
    expect(spec.Image).toBe('weaveworks/weave:2.8.1');
  });

  it('the password is in the environment and nowhere in the arguments', () => {
    expect(spec.Env).toContain('WEAVE_PASSWORD=s3cret pass');
    expect(JSON.stringify(spec.Cmd)).not.toContain('s3cret');
    expect(spec.Cmd).toEqual(routerArgs({ nickname: 'one', range: '10.32.0.0/12', peers: ['198.18.0.2'] }));
    expect(spec.Cmd?.slice(0, 4)).toEqual(['--port', '6783', '--nickname', 'one']);
    expect(spec.Cmd).toContain('--http-addr');
    expect(spec.Cmd?.at(-1)).toBe('198.18.0.2');
  });

  it('the data-only containers, named as the weave script names them', () => {
    expect(volumeContainers().map((c) => [c.name, Object.keys(c.Volumes ?? {})])).toEqual([
      ['weavedb', ['/weavedb']],
      ['weavevolumes-2.8.1', ['/w', '/w-noop', '/w-nomcast']],
    ]);
  });
});

describe('WeaveApi against a STAND-IN Weave HTTP server (node:http on 127.0.0.1 in this process)', () => {
  let standin: Standin;
  let api: WeaveApi;
  beforeAll(async () => {
    standin = await startStandin({ fixtureDir: FIXTURES, fixture: 'mixed', port: 0 });
    api = new WeaveApi(standin.addr);
  });
  afterAll(async () => {
    await standin.close();
  });

  it('GET /report with Accept: application/json, every connection state', async () => {
    const r = await api.report();
    expect(r.Router.Connections.map((c) => c.State)).toEqual([
      'established',
      'established',
      'pending',
      'failed',
      'retrying',
      'connecting',
    ]);
    expect(standin.state.requests.at(-1)).toMatchObject({ method: 'GET', path: '/report' });
  });

  it('connect and forget post the peers as a form', async () => {
    await api.connect(['198.18.0.3', '198.18.0.4:6783']);
    await api.forget(['198.18.0.3']);
    expect(standin.state.requests.slice(-2)).toEqual([
      { method: 'POST', path: '/connect', body: 'peer=198.18.0.3&peer=198.18.0.4%3A6783' },
      { method: 'POST', path: '/forget', body: 'peer=198.18.0.3' },
    ]);
  });

  it('claims and releases addresses; a claim on an address another container holds is bad input', async () => {
    await api.claim('c1', '10.32.0.5/12');
    expect(standin.state.requests.at(-1)?.path).toBe('/ip/c1/10.32.0.5/12?check-alive=true');
    const err = await api.claim('c2', '10.32.0.5/12').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(XnetError);
    expect((err as XnetError).exitCode).toBe(2);
    expect((err as XnetError).field).toBe('cidr');
    expect((err as XnetError).message).toMatch(/already owned by c1/);
    await api.release('c1', '10.32.0.5');
    expect(standin.state.owners.has('10.32.0.5')).toBe(false);
  });

  it('a router that does not answer is a failure naming the address', async () => {
    const gone = new WeaveApi('127.0.0.1:1', 1_000);
    const err = (await gone.report().catch((e: unknown) => e)) as XnetError;
    expect(err.exitCode).toBe(1);
    expect(err.message).toMatch(/does not answer on 127.0.0.1:1 .*ECONNREFUSED/);
  });
});
