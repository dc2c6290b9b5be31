import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_NETNS } from '../../src/lab/layout.js';
import { addressTableOf, type AddressTableStatus } from '../../src/router/driver.js';
import { AgentConnection } from '../../src/agent/rpc.js';
import { VERSION_TAG } from '../../src/router/vxlan/addresses.js';
import { isEmptyList } from '../../src/router/vxlan/local-list.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';
import { agentCall, nsh, onTheWire, osh, ping, router } from '../helpers/lab.js';
import { labMesh } from '../helpers/mesh.js';
import { eventually } from '../helpers/wait.js';

// The mesh-wide address table on three real lab hosts with a mesh password: refusals from the table, proxy ARP
// on the VXLAN device (tcpdump on the underlay), clashes, and hosts that fail, come back and leave.
const mesh = labMesh({
  hosts: 3,
  containers: [
    { host: 'h1', name: 'web', cidr: '172.25.11.23/24' },
    { host: 'h1', name: 'x1' },
    { host: 'h2', name: 'api', cidr: '172.25.11.30/24' },
    { host: 'h3', name: 'db', cidr: '172.25.11.50/24' },
    { host: 'h3', name: 'x3' },
  ],
  password: 'the-table-test-password',
  join: 'previous',
});
const [h1, h2, h3] = mesh.hosts;

async function table(host: string): Promise<AddressTableStatus | undefined> {
  return addressTableOf(await router(host));
}

/** The VXLAN device's neighbour entry for `address` on host `h` (what proxy ARP answers with), if any. */
const neighbour = (h: typeof h1, address: string): string | undefined =>
  osh(h, ['ip', 'neigh', 'show', 'dev', 'xnet-vx'])
    .split('\n')
    .find((l) => l.startsWith(`${address} `));

const macOf = (host: string, name: string): string =>
  labSh(host, ['docker', 'exec', name, 'cat', '/sys/class/net/ethwe/address']).trim();

/**
 * VXLAN on h's cable carrying inner ARP, or inner ICMP (the witness that tcpdump saw the ping cross): UDP header (8)
 * + VXLAN header (8) + the inner EtherType at 12, the inner IPv4 protocol at 9 after it.
 */
const VXLAN_ARP_OR_ICMP =
  'udp dst port 4789 and (udp[28:2] = 0x0806 or (udp[28:2] = 0x0800 and udp[39] = 1))';
/** tcpdump prints VXLAN's header, then the inner frame on a line of its own. */
const inner = (wire: string, what: RegExp): number => wire.split('\n').filter((l) => what.test(l)).length;

/** Member `name`'s serf tags as host h's serf has them (serf's CLI in h's namespace, with h's RPC token). */
function serfTags(h: typeof h1, name: string): Record<string, string> {
  const token = (JSON.parse(readFileSync(join(h.agentStateDir, 'serf.json'), 'utf8')) as { rpc_auth: string })
    .rpc_auth;
  const out = nsh(h, ['env', `SERF_RPC_AUTH=${token}`, 'serf', 'members', '-format=json']);
  const members = (JSON.parse(out) as { members: { name: string; tags: Record<string, string> }[] }).members;
  return members.find((m) => m.name === name)?.tags ?? {};
}

describe('the mesh-wide address table on three lab hosts', () => {
  beforeAll(async () => {
    await mesh.up();
    await eventually(
      'every host sees three attachments',
      () => table('h1'),
      (t) => t?.entries === 3,
      15_000,
    );
  }, 240_000);

  afterAll(() => mesh.down());

  it('refuses an address a peer holds from the local table, naming the holder, changing nothing', async () => {
    const t = await table('h1');
    expect(t?.sync).toMatch(/signed and sealed with the mesh key/);
    const before = nsh(h1, ['ip', '-o', 'link', 'show']);
    const r = await xnet(['--lab', 'h1', 'attach', '172.25.11.30/24', 'x1', '--json']);
    expect(r.code).toBe(2);
    const err = (JSON.parse(r.stdout) as { error: { field: string; message: string } }).error;
    expect(err.field).toBe('cidr');
    expect(err.message).toMatch(
      /172\.25\.11\.30 is already used in the mesh by container api on peer two \(198\.18\.0\.2\)/,
    );
    expect(nsh(h1, ['ip', '-o', 'link', 'show'])).toBe(before);
  });

  it("answers a container's ARP for a remote container on the host: no ARP crosses, the first ping works", async () => {
    // web has never talked to api: its ARP for 172.25.11.30 is answered by h1's VXLAN device (proxy).
    let first = '';
    const wire = await onTheWire(h1, VXLAN_ARP_OR_ICMP, () => {
      first = labSh('h1', ['docker', 'exec', 'web', 'ping', '-c', '1', '-W', '3', '172.25.11.30']);
    });
    expect(first).toMatch(/1 packets received/);
    // The echo and its reply crossed in VXLAN on h1's cable, and no ARP did (neither way).
    expect(inner(wire, /ICMP echo (request|reply)/)).toBeGreaterThanOrEqual(2);
    expect(inner(wire, /\bARP\b/)).toBe(0);
    expect(labSh('h1', ['docker', 'exec', 'web', 'cat', '/proc/net/arp'])).toContain(macOf('h2', 'api'));
  });

  it('answers a miss from the table: an entry taken away is put back and the address resolves', async () => {
    osh(h3, ['ip', 'neigh', 'del', '172.25.11.30', 'dev', 'xnet-vx']);
    expect(neighbour(h3, '172.25.11.30')).toBeUndefined();
    expect(labSh('h3', ['docker', 'exec', 'db', 'ping', '-c', '1', '-W', '4', '172.25.11.30'])).toMatch(
      /1 packets received/,
    );
    expect(neighbour(h3, '172.25.11.30')).toContain(macOf('h2', 'api'));
  });

  it('puts back a forwarding entry taken away with no miss to report it, within the verify period', async () => {
    // An FDB entry (MAC -> VTEP) gone raises no miss: only the agent's periodic read of the kernel (30 s, on its
    // 10 s round-robin timer) finds it; a pass asked for the same entries as before reads nothing.
    const mac = macOf('h2', 'api');
    const fdbOf = () =>
      osh(h3, ['bridge', 'fdb', 'show', 'dev', 'xnet-vx'])
        .split('\n')
        .find((l) => l.startsWith(`${mac} `));
    expect(fdbOf()).toMatch(/dst 198\.18\.\d+\.\d+/);
    osh(h3, ['bridge', 'fdb', 'del', mac, 'dev', 'xnet-vx', 'dst', fdbOf()!.match(/dst (\S+)/)![1]!]);
    expect(fdbOf()).toBeUndefined();
    await eventually(
      'the entry back',
      async () => fdbOf(),
      (l) => l !== undefined,
      45_000,
    );
  }, 60_000);

  it('detach removes the entry on every host, and the address is free again', async () => {
    const tagged = serfTags(h1, '198.18.0.2');
    expect(tagged[VERSION_TAG], 'h2 tags its list version').toMatch(/^[0-9a-f]{16}$/);
    expect(isEmptyList(tagged[VERSION_TAG]!, tagged.ll)).toBe(false);
    await xnetJson(['--lab', 'h2', 'detach', 'api']);
    await eventually(
      'h1 and h3 drop 172.25.11.30',
      () => neighbour(h1, '172.25.11.30') ?? neighbour(h3, '172.25.11.30'),
      (n) => n === undefined,
      5_000,
    );
    // h2 holds nothing now: its tag says so, and a member that joins takes that from the tag without a pull.
    for (const h of [h1, h3])
      await eventually(
        `${h.name} sees h2's tag say an empty list`,
        () => serfTags(h, '198.18.0.2'),
        (t) => t[VERSION_TAG] !== undefined && isEmptyList(t[VERSION_TAG], t.ll),
        10_000,
      );
    await xnetJson(['--lab', 'h1', 'attach', '172.25.11.30/24', 'x1']);
    await xnetJson(['--lab', 'h1', 'detach', 'x1']);
    await xnetJson(['--lab', 'h2', 'attach', '172.25.11.30/24', 'api']);
  });

  it('flags a simultaneous claim on both hosts: the older keeps the forwarding entry', async () => {
    // "At once": both attaches in flight together, sent over connections opened beforehand, so neither host's
    // table can hold the other's claim when it checks. (Two CLI processes start seconds apart on a loaded
    // machine: the later attach was then refused as a duplicate, rightly, and no clash was made.)
    const conns = await Promise.all([h1, h3].map((h) => AgentConnection.open(h.agentSocket, 10_000)));
    const claims = await Promise.allSettled(
      conns.map((c, i) => c.call('attach', { cidrs: ['172.25.11.40/24'], container: i === 0 ? 'x1' : 'x3' })),
    ).finally(() => conns.forEach((c) => c.close()));
    expect(claims.map((c) => (c.status === 'rejected' ? String(c.reason) : 'attached'))).toEqual([
      'attached',
      'attached',
    ]);
    // What the issue states, waited for as a whole (over RPC, no process per look): on both claimants the
    // clash, the same claim kept and the older one, the newer flagged; the third host forwarding the address
    // to the kept claim's container; the flagged host's ps saying so. Not a time: the limit only ends a wait
    // that would never end, and the figure printed is how long it took.
    const settled = await eventually(
      'the older claim kept and forwarded, the newer flagged on both claimants',
      async () => {
        const [t1, t3] = await Promise.all([agentCall(h1, 'router'), agentCall(h3, 'router')]).then((rs) =>
          rs.map((r) => addressTableOf(r)?.clashes.find((c) => c.address === '172.25.11.40')),
        );
        const kept = t1?.kept.host === h1.address ? h1 : h3;
        const flagged = kept === h1 ? h3 : h1;
        const [ps, keptPs] = await Promise.all([agentCall(flagged, 'ps'), agentCall(kept, 'ps')]);
        const keptMac = keptPs.attachments.find((a) => a.cidrs.includes('172.25.11.40/24'))?.mac ?? 'none';
        return { t1, t3, kept, flagged, h2: neighbour(h2, '172.25.11.40') ?? '', keptMac, ps };
      },
      ({ t1, t3, h2: n, keptMac, ps }) =>
        t1 !== undefined &&
        t3 !== undefined &&
        t1.kept.host === t3.kept.host &&
        t1.flagged.map((f) => f.host).join() === t3.flagged.map((f) => f.host).join() &&
        n.includes(keptMac) &&
        ps.attachments.some((a) => a.cidrs.includes('172.25.11.40/24') && a.clash !== undefined),
      60_000,
      200,
    );
    console.log(
      `a simultaneous claim: kept, forwarded and flagged as the issue says ${settled.ms} ms after both attaches returned`,
    );
    const { t1: c1, kept: keptHost, flagged: flaggedHost, ps } = settled.value;
    expect(c1!.flagged.map((f) => f.host)).toEqual([flaggedHost.address]);
    expect(Date.parse(c1!.kept.since)).toBeLessThanOrEqual(Date.parse(c1!.flagged[0]!.since));
    const [kept, flagged] = keptHost === h1 ? (['h1', 'h3'] as const) : (['h3', 'h1'] as const);
    const keptName = kept === 'h1' ? 'x1' : 'x3';
    expect(ps.attachments.find((a) => a.cidrs.includes('172.25.11.40/24'))?.clash).toMatch(
      /172\.25\.11\.40 is also held by x[13] on peer/,
    );
    const human = await xnet(['--lab', kept, 'status']);
    expect(human.stdout).toMatch(
      /CLASH 172\.25\.11\.40: kept by x[13] on this host .*flagged \(newer\): x[13] on peer/,
    );
    // The event for this address: a run under load once also showed a clash on .30 from the test before, for
    // the moment between h2's claim arriving at h3 and h1's release (told at most every 500 ms) arriving.
    const clashOf40 = (x: { kind: string; subject?: string }) =>
      x.kind === 'address_clash' && x.subject === '172.25.11.40';
    for (const h of [keptHost, flaggedHost]) {
      const ev = await eventually(
        `${h.name} has a clash event for 172.25.11.40`,
        () => agentCall(h, 'events', {}),
        (e) => e.events.some(clashOf40),
        30_000,
        200,
      );
      expect(ev.value.events.find(clashOf40)!.text).toMatch(/172\.25\.11\.40 kept by/);
    }
    await xnetJson(['--lab', flagged, 'detach', flagged === 'h1' ? 'x1' : 'x3']);
    await eventually(
      'the clash clears',
      () => agentCall(keptHost, 'router'),
      (r) => addressTableOf(r)?.clashes.length === 0,
      30_000,
      200,
    );
    await xnetJson(['--lab', kept, 'detach', keptName]);
  }, 180_000);

  it("keeps a failed holder's entries marked, takes them back when it restarts, drops them when it leaves", async () => {
    // h3 dies whole: its supervisor, agent and serf.
    const serfPid = (JSON.parse(readFileSync(join(h3.agentStateDir, 'serf.pid'), 'utf8')) as { pid: number })
      .pid;
    for (const pid of [
      Number(readFileSync(h3.supervisorPidfile, 'utf8')),
      Number(readFileSync(h3.agentPidfile, 'utf8')),
      serfPid,
    ])
      process.kill(pid, 'SIGKILL');
    await eventually(
      'h1 sees h3 failed',
      () => router('h1'),
      (r) => r.peers.some((p) => p.address === '198.18.0.3' && p.gossip === 'failed'),
      15_000,
    );
    const refused = await xnet(['--lab', 'h1', 'attach', '172.25.11.50/24', 'x1']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/container db on peer three \(198\.18\.0\.3\), failed in gossip/);
    await eventually(
      'h1 stops forwarding to the failed host',
      () => neighbour(h1, '172.25.11.50'),
      (n) => n === undefined,
      5_000,
    );
    // The holder comes back (lab up starts what is missing): its entries are forwarded again, pings cross.
    expect((await xnet(['lab', 'up', '--hosts', '3'])).code).toBe(0);
    await eventually(
      'h1 forwards to db again',
      () => neighbour(h1, '172.25.11.50') ?? '',
      (n) => n.includes(macOf('h3', 'db')),
      20_000,
    );
    expect(ping('h1', 'web', '172.25.11.50')).toBe(true);
    // A host that leaves (stop) has its entries removed: the address is free on h1.
    await xnetJson(['--lab', 'h3', 'stop']);
    await eventually(
      'h1 drops h3 entries',
      () => table('h1'),
      (t) => t?.entries === 2,
      15_000,
    );
    await xnetJson(['--lab', 'h1', 'attach', '172.25.11.50/24', 'x1']);
  });

  it('serves a list only to a member that holds the mesh key', () => {
    // From the lab's gateway namespace, a stranger on the underlay: refused.
    const code = sh('nsenter', [
      `--net=/run/netns/${GATEWAY_NETNS}`,
      '--',
      'curl',
      '-s',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      'http://198.18.0.2:7947/xnet/addresses/v1',
    ]);
    expect(code).toBe('403');
  });
});
