import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labHost } from '../../src/lab/layout.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { osh, overlayOf } from '../helpers/lab.js';
import { overlayNetnsName } from '../../src/net/overlay.js';
import type { Result } from '../../src/api/index.js';

// The real thing: a lab host namespace with its own dockerd, busybox containers, the agent, real pings.
const h1 = labHost(1);
const STATE = join(h1.agentStateDir, 'state.json');

function pidOf(name: string): number {
  return Number(labSh('h1', ['docker', 'inspect', '-f', '{{.State.Pid}}', name]).trim());
}
function inContainer(name: string, argv: string[]): string {
  return sh('nsenter', [`--net=/proc/${pidOf(name)}/ns/net`, '--', ...argv]);
}
function ethweAddrs(name: string): string[] {
  const out = JSON.parse(inContainer(name, ['ip', '-json', 'addr', 'show'])) as Array<{
    ifname: string;
    addr_info: Array<{ local: string; prefixlen: number }>;
  }>;
  return out.find((l) => l.ifname === 'ethwe')?.addr_info.map((a) => `${a.local}/${a.prefixlen}`) ?? [];
}
function ping(from: string, to: string): boolean {
  try {
    labSh('h1', ['docker', 'exec', from, 'ping', '-c', '2', '-W', '2', to]);
    return true;
  } catch {
    return false;
  }
}
/** `ip -json` output without what the kernel changes on its own (IPv6 duplicate address detection, lifetimes). */
function stable(json: string): string {
  const volatile = ['tentative', 'valid_life_time', 'preferred_life_time'];
  return JSON.stringify(JSON.parse(json), (key, value: unknown) =>
    volatile.includes(key) ? undefined : value,
  );
}
/** Everything a bad input must leave alone: the host's and a container's links and addresses, and the state file. */
function snapshot(container: string): string {
  const host = ['link', 'addr'].map((o) =>
    stable(sh('nsenter', [`--net=${h1.netnsPath}`, '--', 'ip', '-json', o, 'show'])),
  );
  const overlay = ['link', 'addr'].map((o) => stable(osh(h1, ['ip', '-json', o, 'show'])));
  const ctr = ['link', 'addr'].map((o) => stable(inContainer(container, ['ip', '-json', o, 'show'])));
  return JSON.stringify({ host, overlay, ctr, state: readFileSync(STATE, 'utf8') });
}
async function waitUntil(check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

describe('attach, detach and ps on a real lab host', () => {
  beforeAll(async () => {
    const up = await xnet(['lab', 'up', '--hosts', '1']);
    expect(up.code, up.stderr).toBe(0);
    for (const name of ['web', 'db', 'cache'])
      labSh('h1', ['docker', 'run', '-d', '--name', name, 'xnet/busybox', 'sleep', '3600']);
    labSh('h1', [
      'docker',
      'run',
      '-d',
      '--name',
      'hostnet',
      '--network',
      'host',
      'xnet/busybox',
      'sleep',
      '3600',
    ]);
    labSh('h1', ['docker', 'create', '--name', 'stopped', 'xnet/busybox', 'sleep', '3600']);
  });

  afterAll(async () => {
    await xnet(['lab', 'down']);
  });

  it('attaches two containers that then ping each other both ways', async () => {
    const a = await xnetJson<Result<'attach'>>(['--lab', 'h1', 'attach', '172.25.11.23/24', 'web']);
    const b = await xnetJson<Result<'attach'>>(['--lab', 'h1', 'attach', '172.25.11.24/24', 'db']);
    expect(a.added).toEqual(['172.25.11.23/24']);
    expect(b.attachment).toMatchObject({
      container: 'db',
      ifname: 'ethwe',
      live: ['172.25.11.24/24'],
      state: 'attached',
    });
    expect(ethweAddrs('web')).toEqual(['172.25.11.23/24']);
    expect(ping('web', '172.25.11.24')).toBe(true);
    expect(ping('db', '172.25.11.23')).toBe(true);
    // Before any launch the agent's own bridge is in the overlay namespace, as the vxlan driver's will be.
    const ports = osh(h1, ['ip', '-o', 'link', 'show', 'master', 'xnet']);
    expect(ports.match(/: vx[0-9a-f]{12}@/g)).toHaveLength(2);
    expect(ports).toMatch(/: xnet-hostport@/);
    expect(osh(h1, ['sysctl', '-n', 'net.bridge.bridge-nf-call-iptables']).trim()).toBe('0');
    expect(sh('nsenter', [`--net=${h1.netnsPath}`, '--', 'ip', '-o', 'link', 'show'])).not.toMatch(
      /: (xnet|vx[0-9a-f]{12})[@:]/,
    );
    const status = await xnetJson<Result<'status'>>(['--lab', 'h1', 'status']);
    const name = overlayNetnsName(h1.agentStateDir);
    expect(status.bridge).toMatchObject({ name: 'xnet', present: true, netns: name });
    expect(overlayOf(h1)).toBe(`/run/netns/${name}`);
    expect((await xnet(['--lab', 'h1', 'status'])).stdout).toContain(
      `in netns ${name} (ip netns exec ${name} tcpdump -i xnet)`,
    );
  });

  it('lists attachments with interface, MAC and addresses', async () => {
    const ps = await xnetJson<Result<'ps'>>(['--lab', 'h1', 'ps']);
    const web = ps.attachments.find((x) => x.container === 'web');
    const mac = JSON.parse(inContainer('web', ['ip', '-json', 'link', 'show', 'ethwe']))[0].address as string;
    expect(web).toMatchObject({ ifname: 'ethwe', mac, cidrs: ['172.25.11.23/24'], state: 'attached' });
    const human = await xnet(['--lab', 'h1', 'ps']);
    expect(human.stdout).toMatch(/^CONTAINER\s+ID\s+IFACE\s+MAC\s+ADDRESSES\s+STATE/);
    expect(human.stdout).toContain(mac);
  });

  it('ps -q prints one attached container name a line, for scripts', async () => {
    const ps = await xnetJson<Result<'ps'>>(['--lab', 'h1', 'ps']);
    const quiet = await xnet(['--lab', 'h1', 'ps', '-q']);
    expect(quiet.stdout.split('\n').filter(Boolean).sort()).toEqual(
      ps.attachments.map((a) => a.container).sort(),
    );
    expect(quiet.stdout).toContain('web\n');
  });

  it('attaches several CIDRs at once, and repeating an attach changes nothing', async () => {
    const r = await xnetJson<Result<'attach'>>([
      '--lab',
      'h1',
      'attach',
      '172.25.12.5/24',
      '10.99.0.5/16',
      'cache',
    ]);
    expect(r.added).toEqual(['172.25.12.5/24', '10.99.0.5/16']);
    expect(ethweAddrs('cache').sort()).toEqual(['10.99.0.5/16', '172.25.12.5/24']);
    const again = await xnetJson<Result<'attach'>>(['--lab', 'h1', 'attach', '172.25.12.5/24', 'cache']);
    expect(again).toMatchObject({ added: [], alreadyPresent: ['172.25.12.5/24'] });
  });

  it('gives the address back within 2 s of docker restart', async () => {
    labSh('h1', ['docker', 'restart', '-t', '0', 'web']);
    const ms = await waitUntil(() => ethweAddrs('web').includes('172.25.11.23/24'), 2_000);
    expect(ms).toBeLessThan(2_000);
    expect(ping('db', '172.25.11.23')).toBe(true);
  });

  describe('bad input changes nothing and exits 2', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['malformed CIDR', ['172.25.11.300/24', 'cache'], /not an IPv4 address/],
      ['prefix out of range', ['172.25.11.30/33', 'cache'], /prefix \/33 .* out of range/],
      ['network address', ['172.25.11.0/24', 'cache'], /network address/],
      ['broadcast address', ['172.25.11.255/24', 'cache'], /broadcast address/],
      [
        'address inside a host route',
        ['172.17.0.77/16', 'cache'],
        /inside the host route 172\.17\.0\.0\/16 dev docker0/,
      ],
      ['underlay address', ['198.18.0.77/24', 'cache'], /inside the host route 198\.18\.0\.0\/24 dev eth0/],
      [
        'address already attached on this host',
        ['172.25.11.24/24', 'cache'],
        /already attached to container db/,
      ],
      ['the same address twice', ['172.25.11.50/24', '172.25.11.50/24', 'cache'], /given twice/],
      ['one bad address among good ones', ['172.25.11.51/24', '172.25.11.0/24', 'cache'], /network address/],
      ['unknown container', ['172.25.11.30/24', 'nosuch'], /no container named "nosuch"/],
      ['stopped container', ['172.25.11.30/24', 'stopped'], /stopped is created, not running/],
      ['container on the host network', ['172.25.11.30/24', 'hostnet'], /uses the host's network namespace/],
    ];
    it.each(cases)('%s', async (_name, args, why) => {
      const before = snapshot('cache');
      const r = await xnet(['--lab', 'h1', 'attach', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/^xnet-tui: error \((cidr|container)\): /);
      expect(r.stderr).toMatch(/hint: /);
      expect(snapshot('cache')).toBe(before);
    });

    it('reports --json errors with kind, field and hint', async () => {
      const r = await xnet(['--lab', 'h1', 'attach', '172.25.11.30/24', 'nosuch', '--json']);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout).error).toMatchObject({ kind: 'bad_input', field: 'container' });
    });
  });

  it('detach of something not attached succeeds and says so', async () => {
    const before = snapshot('cache');
    const r = await xnet(['--lab', 'h1', 'detach', '172.25.99.1/24', 'cache']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/172\.25\.99\.1\/24 not attached to cache; nothing to do/);
    expect(snapshot('cache')).toBe(before);
  });

  it('detaches one address, then all of them, removing ethwe', async () => {
    const one = await xnetJson<Result<'detach'>>(['--lab', 'h1', 'detach', '10.99.0.5/16', 'cache']);
    expect(one).toMatchObject({ removed: ['10.99.0.5/16'], interfaceRemoved: false });
    expect(ethweAddrs('cache')).toEqual(['172.25.12.5/24']);
    const all = await xnetJson<Result<'detach'>>(['--lab', 'h1', 'detach', 'cache']);
    expect(all).toMatchObject({ removed: ['172.25.12.5/24'], interfaceRemoved: true });
    expect(inContainer('cache', ['ip', '-o', 'link', 'show'])).not.toMatch(/ethwe/);
    const ps = await xnetJson<Result<'ps'>>(['--lab', 'h1', 'ps']);
    expect(ps.attachments.map((a) => a.container)).not.toContain('cache');
  });

  it('drops the attachment of a destroyed container', async () => {
    await xnetJson(['--lab', 'h1', 'attach', '172.25.11.60/24', 'cache']);
    labSh('h1', ['docker', 'rm', '-f', 'cache']);
    await waitUntil(() => !readFileSync(STATE, 'utf8').includes('172.25.11.60/24'), 2_000);
  });

  it('reconciles the kernel to the state file when the agent restarts', async () => {
    // No agent at all for a while: its supervisor first (it would start the agent again at once), then the agent.
    process.kill(Number(readFileSync(h1.supervisorPidfile, 'utf8')), 'SIGKILL');
    const pid = Number(readFileSync(h1.agentPidfile, 'utf8'));
    process.kill(pid, 'SIGTERM');
    await waitUntil(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 5_000);
    // While no agent runs: the kernel drifts (web loses ethwe) and db is destroyed.
    inContainer('web', ['ip', 'link', 'del', 'ethwe']);
    labSh('h1', ['docker', 'rm', '-f', 'db']);
    expect(ethweAddrs('web')).toEqual([]);
    const up = await xnet(['lab', 'up', '--hosts', '1']);
    expect(up.code, up.stderr).toBe(0);
    await waitUntil(() => ethweAddrs('web').includes('172.25.11.23/24'), 5_000);
    const ps = await xnetJson<Result<'ps'>>(['--lab', 'h1', 'ps']);
    expect(ps.attachments.map((a) => `${a.container} ${a.state}`)).toEqual(['web attached']);
  });
});
