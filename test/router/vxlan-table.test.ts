import { describe, expect, it } from 'vitest';
import { AddressTable, type AddressEntry } from '../../src/router/vxlan/table.js';
import {
  forwardingPlan,
  linkLocalOfMac,
  macOfLinkLocal,
  neighPlan,
} from '../../src/router/vxlan/forwarding.js';
import { localEntries, versionOf } from '../../src/router/vxlan/local-list.js';
import { missOf } from '../../src/net/neigh.js';

const entry = (
  address: string,
  container: string,
  since: string,
  mac = '0e:00:00:00:00:01',
): AddressEntry => ({
  address,
  cidr: `${address}/24`,
  mac,
  container,
  since,
});
const list = (host: string, version: string, entries: object[]) => ({ host, version, entries });

describe('the address table', () => {
  it('answers who holds an address from what each member served', () => {
    const t = new AddressTable('198.18.0.1');
    t.setLocal('v1', [entry('172.25.11.23', 'web', '2026-01-01T00:00:00Z')]);
    expect(
      t.accept('198.18.0.2', list('198.18.0.2', 'a', [entry('172.25.11.30', 'api', '2026-01-01T00:00:01Z')])),
    ).toEqual({ changed: true, refused: [] });
    expect(t.owner('172.25.11.30')).toMatchObject({
      host: '198.18.0.2',
      container: 'api',
      hostState: 'alive',
    });
    // This host's own attachments are not "held elsewhere": attach checks those itself.
    expect(t.owner('172.25.11.23')).toBeUndefined();
    expect(t.size).toEqual({ entries: 2, hosts: 2 });
    // The same version again is no change.
    expect(t.accept('198.18.0.2', list('198.18.0.2', 'a', [])).changed).toBe(false);
  });

  it("refuses a member's claim about another member, and a list for another host", () => {
    const t = new AddressTable('198.18.0.1');
    const r = t.accept(
      '198.18.0.3',
      list('198.18.0.3', 'x', [
        { ...entry('172.25.11.30', 'api', '2026-01-01T00:00:00Z'), host: '198.18.0.2' },
        entry('172.25.11.31', 'own', '2026-01-01T00:00:00Z'),
      ]),
    );
    expect(r.refused).toEqual([
      '198.18.0.3 claimed 172.25.11.30 for 198.18.0.2: a member speaks for itself only',
    ]);
    expect(t.owner('172.25.11.30')).toBeUndefined();
    expect(t.owner('172.25.11.31')?.host).toBe('198.18.0.3');
    const forged = t.accept(
      '198.18.0.3',
      list('198.18.0.2', 'y', [entry('172.25.11.32', 'x', '2026-01-01T00:00:00Z')]),
    );
    expect(forged).toEqual({
      changed: false,
      refused: ['198.18.0.3 sent a list for 198.18.0.2: a member speaks for itself only'],
    });
    expect(t.owner('172.25.11.32')).toBeUndefined();
    expect(t.accept('198.18.0.3', { nonsense: true }).refused).toEqual(['198.18.0.3: not an address list']);
    expect(t.accept('198.18.0.3', list('198.18.0.3', 'z', [{ address: 'x' }])).refused).toEqual([
      '198.18.0.3: a malformed entry',
    ]);
  });

  it('keeps the older of two claims and flags the newer, the same on every host', () => {
    const a = entry('172.25.11.40', 'x1', '2026-01-01T00:00:00.200Z', '0e:00:00:00:00:0a');
    const b = entry('172.25.11.40', 'x3', '2026-01-01T00:00:00.100Z', '0e:00:00:00:00:0b');
    const on1 = new AddressTable('198.18.0.1');
    on1.setLocal('1', [a]);
    on1.accept('198.18.0.3', list('198.18.0.3', '3', [b]));
    const on3 = new AddressTable('198.18.0.3');
    on3.setLocal('3', [b]);
    on3.accept('198.18.0.1', list('198.18.0.1', '1', [a]));
    for (const t of [on1, on3]) {
      const [c] = t.clashes();
      expect(c?.kept).toMatchObject({ host: '198.18.0.3', container: 'x3' });
      expect(c?.flagged.map((f) => f.host)).toEqual(['198.18.0.1']);
    }
    // h1 forwards the address to the older claim on h3; h3 forwards nothing for it (it keeps it).
    expect(on1.remote().map((h) => [h.address, h.host])).toEqual([['172.25.11.40', '198.18.0.3']]);
    expect(on3.remote()).toEqual([]);
    // The flagged container's MAC still lives on h1: h3 forwards that MAC (its link-local) there.
    expect(on3.held().map((h) => h.mac)).toEqual(['0e:00:00:00:00:0a']);
  });

  it('breaks a tie of claim times on the host name, so both hosts agree', () => {
    const same = '2026-01-01T00:00:00.000Z';
    const t = new AddressTable('198.18.0.9');
    t.accept('198.18.0.2', list('198.18.0.2', '2', [entry('10.0.0.1', 'b', same)]));
    t.accept('198.18.0.10', list('198.18.0.10', '10', [entry('10.0.0.1', 'a', same)]));
    expect(t.clashes()[0]!.kept.host).toBe('198.18.0.10');
  });

  it('marks a failed host, forgets one that left, and takes a returning one back', () => {
    const t = new AddressTable('198.18.0.1');
    t.accept('198.18.0.2', list('198.18.0.2', 'a', [entry('172.25.11.30', 'api', '2026-01-01T00:00:00Z')]));
    t.accept('198.18.0.3', list('198.18.0.3', 'b', [entry('172.25.11.50', 'db', '2026-01-01T00:00:00Z')]));
    expect(
      t.members(
        new Map([
          ['198.18.0.2', 'failed'],
          ['198.18.0.3', 'alive'],
        ]),
      ),
    ).toBe(true);
    expect(t.owner('172.25.11.30')).toMatchObject({ container: 'api', hostState: 'failed' });
    // A failed host still holds its address, but nothing is forwarded to it.
    expect(t.remote().map((h) => h.address)).toEqual(['172.25.11.50']);
    expect(
      t.members(
        new Map([
          ['198.18.0.2', 'alive'],
          ['198.18.0.3', 'gone'],
        ]),
      ),
    ).toBe(true);
    expect(t.owner('172.25.11.30')?.hostState).toBe('alive');
    expect(t.owner('172.25.11.50')).toBeUndefined();
    expect(t.members(new Map([['198.18.0.2', 'alive']]))).toBe(false);
  });
});

describe("this host's list", () => {
  it('has one entry per address, the MAC from the container ID, and a version that names the content', () => {
    const a = {
      containerId: 'a'.repeat(64),
      containerName: 'web',
      ifname: 'ethwe',
      cidrs: ['172.25.11.23/24', '172.25.12.1/24'],
      since: '2026-01-01T00:00:00Z',
    };
    const e = localEntries('198.18.0.1', [a]);
    expect(e.map((x) => [x.address, x.container, x.host])).toEqual([
      ['172.25.11.23', 'web', '198.18.0.1'],
      ['172.25.12.1', 'web', '198.18.0.1'],
    ]);
    expect(e[0]!.mac).toMatch(/^0e(:[0-9a-f]{2}){5}$/);
    expect(versionOf(e, undefined)).toBe(versionOf(localEntries('198.18.0.1', [a]), undefined));
    expect(versionOf(e, undefined)).not.toBe(versionOf(e.slice(1), undefined));
  });
});

describe('forwarding entries', () => {
  const fwd = (address: string, mac: string, vtep: string) => ({ address, mac, vtep });

  it('adds static FDB and permanent neighbour entries for what the table holds, and floods per alive peer', () => {
    const plan = forwardingPlan(
      'xnet-vx',
      { fdb: [{ mac: 'aa:aa:aa:aa:aa:aa', flags: ['master'] }], neigh: [] },
      { vteps: ['198.18.0.2'], forwards: [fwd('172.25.11.30', '0e:00:00:00:00:01', '198.18.0.2')] },
    );
    expect(plan).toEqual({
      fdb: [
        'fdb append 00:00:00:00:00:00 dev xnet-vx dst 198.18.0.2',
        'fdb replace 0e:00:00:00:00:01 dev xnet-vx dst 198.18.0.2 static',
      ],
      neigh: ['neigh replace 172.25.11.30 lladdr 0e:00:00:00:00:01 dev xnet-vx nud permanent'],
    });
  });

  it("pins the peers' probe addresses on the bridge, leaving the bridge's learned entries alone", () => {
    const lines = neighPlan(
      'xnet',
      [
        { dst: 'fe80::c00:ff:fe00:1', lladdr: '0e:00:00:00:00:01', state: ['PERMANENT'] },
        { dst: 'fe80::c00:ff:fe00:2', lladdr: '0e:00:00:00:00:02', state: ['REACHABLE'] },
        { dst: 'fe80::c00:ff:fe00:3', lladdr: '0e:00:00:00:00:03', state: ['PERMANENT'] },
        { dst: 'fe80::c00:ff:fe00:9', lladdr: '0e:00:00:00:00:09', state: ['STALE'] },
      ],
      [
        { address: 'fe80::c00:ff:fe00:1', mac: '0e:00:00:00:00:01' },
        { address: 'fe80::c00:ff:fe00:2', mac: '0e:00:00:00:00:02' },
      ],
    );
    expect(lines).toEqual([
      // A peer gone: our permanent entry goes; a learned one (not ours) stays.
      'neigh del fe80::c00:ff:fe00:3 dev xnet',
      'neigh replace fe80::c00:ff:fe00:2 lladdr 0e:00:00:00:00:02 dev xnet nud permanent',
    ]);
  });

  it('leaves what is right alone, moves a MAC to its new VTEP, removes what the table no longer has', () => {
    const plan = forwardingPlan(
      'xnet-vx',
      {
        fdb: [
          { mac: '00:00:00:00:00:00', dst: '198.18.0.2' },
          { mac: '00:00:00:00:00:00', dst: '198.18.0.3' },
          { mac: '0e:00:00:00:00:01', dst: '198.18.0.2' },
          { mac: '0e:00:00:00:00:02', dst: '198.18.0.2' },
          { mac: '0e:00:00:00:00:03', dst: '198.18.0.3' },
        ],
        neigh: [
          { dst: '172.25.11.30', lladdr: '0e:00:00:00:00:01', state: ['PERMANENT'] },
          { dst: '172.25.11.31', lladdr: '0e:00:00:00:00:02', state: ['PERMANENT'] },
          { dst: 'fe80::c00:ff:fe00:1', lladdr: '0e:00:00:00:00:01', state: ['PERMANENT'] },
        ],
      },
      {
        vteps: ['198.18.0.2'],
        forwards: [
          fwd('172.25.11.30', '0e:00:00:00:00:01', '198.18.0.2'),
          // The kernel spells it fe80::c00:ff:fe00:1: no change.
          fwd('fe80:0:0:0:c00:ff:fe00:1', '0e:00:00:00:00:01', '198.18.0.2'),
          fwd('172.25.11.32', '0e:00:00:00:00:03', '198.18.0.2'),
          // A failed host's entries are not forwarded (its VTEP is not alive).
          fwd('172.25.11.50', '0e:00:00:00:00:09', '198.18.0.3'),
        ],
      },
    );
    expect(plan.fdb).toEqual([
      'fdb del 00:00:00:00:00:00 dev xnet-vx dst 198.18.0.3',
      'fdb del 0e:00:00:00:00:02 dev xnet-vx dst 198.18.0.2',
      'fdb del 0e:00:00:00:00:03 dev xnet-vx dst 198.18.0.3',
      'fdb replace 0e:00:00:00:00:03 dev xnet-vx dst 198.18.0.2 static',
    ]);
    expect(plan.neigh).toEqual([
      'neigh del 172.25.11.31 dev xnet-vx',
      'neigh replace 172.25.11.32 lladdr 0e:00:00:00:00:03 dev xnet-vx nud permanent',
    ]);
  });

  it('turns a MAC into its EUI-64 link-local address and back', () => {
    expect(linkLocalOfMac('0e:1c:8c:4b:d7:09')).toBe('fe80::c1c:8cff:fe4b:d709');
    expect(macOfLinkLocal('fe80::cc98:7ff:fe67:2ddf')).toBe('ce:98:07:67:2d:df');
    expect(macOfLinkLocal(linkLocalOfMac('d6:33:d1:32:03:43'))).toBe('d6:33:d1:32:03:43');
    // Not EUI-64 (stable privacy): no MAC to be had from it.
    expect(macOfLinkLocal('fe80::1234:5678:9abc:def0')).toBeUndefined();
    // A MAC beginning 02:00 makes an interface ID beginning with a zero group, which `::` takes in (a 50-host
    // bench met one: its peers could not program its probe address until its list came); one ending 00:00 a
    // trailing zero group.
    expect(linkLocalOfMac('02:00:a3:10:8c:e5')).toBe('fe80::a3ff:fe10:8ce5');
    expect(macOfLinkLocal('fe80::a3ff:fe10:8ce5')).toBe('02:00:a3:10:8c:e5');
    expect(linkLocalOfMac('0e:1c:8c:4b:00:00')).toBe('fe80::c1c:8cff:fe4b:0');
    expect(macOfLinkLocal('fe80::c1c:8cff:fe4b:0')).toBe('0e:1c:8c:4b:00:00');
    expect(macOfLinkLocal('FE80::CC98:7FF:FE67:2DDF')).toBe('ce:98:07:67:2d:df');
    // Not link-local, or not an address at all.
    expect(macOfLinkLocal('2001:db8::cc98:7ff:fe67:2ddf')).toBeUndefined();
    expect(macOfLinkLocal('fe80::1:cc98:7ff:fe67:2ddf')).toBeUndefined();
    expect(macOfLinkLocal('not-an-address')).toBeUndefined();
  });

  it("reads the kernel's misses on the device", () => {
    expect(missOf('miss 172.25.11.30 dev xnet-vx STALE ', 'xnet-vx')).toBe('172.25.11.30');
    expect(missOf('miss 172.25.11.30 dev other STALE', 'xnet-vx')).toBeUndefined();
    // `ip monitor neigh dev xnet-vx` leaves the device out of its lines.
    expect(missOf('miss fe80::c1c:8cff:fe4b:d709 STALE ', 'xnet-vx')).toBe('fe80::c1c:8cff:fe4b:d709');
    expect(missOf('172.25.11.30 dev xnet-vx lladdr 0e:00:00:00:00:01 PERMANENT', 'xnet-vx')).toBeUndefined();
  });
});
