import { describe, expect, it } from 'vitest';
import { XnetError } from '../../src/errors.js';
import {
  grePortName,
  greRemote,
  meshPlan,
  parseSubnet,
  routeClash,
  subnetHolder,
  type Member,
} from '../../src/router/ovs-gre/layout.js';
import { parseOvsTable } from '../../src/router/ovs-gre/ovs.js';
import { grePort, parsePortStats, underlayTunnelRoutes } from '../../src/router/ovs-gre/status.js';
import { standInMac } from '../../src/router/ovs-gre/underlay.js';
import { userspaceGreTx } from '../../src/router/ovs-gre/driver.js';

const member = (n: number, subnet: string | null, status: Member['status'] = 'alive'): Member => ({
  name: `198.18.0.${n}`,
  address: `198.18.0.${n}`,
  nickname: `h${n}`,
  subnet,
  status,
});

function refusal(fn: () => unknown): XnetError {
  try {
    fn();
  } catch (err) {
    if (err instanceof XnetError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('ovs-gre layout', () => {
  it('takes a network CIDR and gives docker its bip, refusing what is not one', () => {
    expect(parseSubnet('172.25.1.0/24')).toEqual({
      subnet: '172.25.1.0/24',
      gateway: '172.25.1.1',
      prefix: 24,
      bip: '172.25.1.1/24',
    });
    expect(refusal(() => parseSubnet(undefined)).field).toBe('subnet');
    expect(refusal(() => parseSubnet('172.25.1.5/24')).hint).toBe('did you mean 172.25.1.0/24?');
    expect(refusal(() => parseSubnet('172.25.1.0/30')).message).toMatch(/out of range/);
    expect(refusal(() => parseSubnet('fd00::/64')).message).toMatch(/IPv6/);
    expect(refusal(() => parseSubnet('nonsense')).exitCode).toBe(2);
  });

  it('names GRE ports after the remote address, within IFNAMSIZ', () => {
    expect(grePortName('198.18.0.2')).toBe('gre-c6120002');
    expect(grePortName('10.255.0.1').length).toBeLessThanOrEqual(15);
  });

  it('finds the host route a subnet clashes with, ignoring docker, ours and default', () => {
    const routes = [
      { dst: 'default', dev: 'eth0' },
      { dst: '172.25.1.0/24', dev: 'docker0' },
      { dst: '172.25.2.0/24', dev: 'docker0', protocol: '121' },
      { dst: '172.25.0.0/16', dev: 'eth1' },
    ];
    expect(routeClash('172.25.3.0/24', routes, 'docker0')).toEqual({ dst: '172.25.0.0/16', dev: 'eth1' });
    expect(routeClash('10.1.0.0/24', routes, 'docker0')).toBeUndefined();
  });

  it('finds the member holding an overlapping subnet; left members hold none', () => {
    const members = [member(1, '172.25.1.0/24'), member(2, '172.25.2.0/24', 'left'), member(3, null)];
    expect(subnetHolder('172.25.1.128/25', '198.18.0.9', members)?.nickname).toBe('h1');
    expect(subnetHolder('172.25.2.0/24', '198.18.0.9', members)).toBeUndefined();
    expect(subnetHolder('172.25.1.0/24', '198.18.0.1', members)).toBeUndefined();
  });

  it('plans a port per live member and a route per clean subnet, and says why it left one out', () => {
    const self = { name: '198.18.0.1', subnet: '172.25.1.0/24' };
    const plan = meshPlan(
      self,
      [
        member(1, '172.25.1.0/24'),
        member(2, '172.25.2.0/24'),
        member(3, '172.25.3.0/24', 'failed'),
        member(4, '172.25.1.0/25'),
        member(5, '172.25.5.0/24', 'left'),
        member(6, null),
        member(7, '172.25.7.0/24'),
      ],
      new Set(['198.18.0.7']),
    );
    expect(plan.ports.map((p) => p.remote)).toEqual(['198.18.0.2', '198.18.0.3', '198.18.0.4']);
    expect(plan.routes).toEqual([
      { dst: '172.25.2.0/24', via: '172.25.2.1', peer: 'h2 (198.18.0.2)' },
      { dst: '172.25.3.0/24', via: '172.25.3.1', peer: 'h3 (198.18.0.3)' },
    ]);
    expect(plan.skipped).toEqual([
      "h4 (198.18.0.4) announces 172.25.1.0/25, which overlaps this host's 172.25.1.0/24: no route to it",
      'h6 (198.18.0.6) is in the mesh but announces no subnet (not an ovs-gre host?)',
    ]);
  });
});

describe('ovs-gre status parsing', () => {
  // The shape `ovs-vsctl --format=json list Interface` printed on this machine (OVS 3.1).
  const json = JSON.stringify({
    headings: ['name', 'type', 'options', 'statistics', 'link_state', 'bfd_status', 'error'],
    data: [
      [
        'gre-c6120002',
        'gre',
        ['map', [['remote_ip', '198.18.0.2']]],
        [
          'map',
          [
            ['rx_bytes', 664],
            ['rx_packets', 8],
            ['tx_bytes', 1722],
            ['tx_packets', 17],
          ],
        ],
        'up',
        [
          'map',
          [
            ['state', 'up'],
            ['forwarding', 'true'],
          ],
        ],
        ['set', []],
      ],
    ],
  });

  it('decodes maps and sets and reads a GRE port with its counters', () => {
    const [row] = parseOvsTable(json);
    expect(grePort(row!, [member(2, '172.25.2.0/24')])).toEqual({
      name: 'gre-c6120002',
      remote: '198.18.0.2',
      peer: 'h2 (198.18.0.2)',
      subnet: '172.25.2.0/24',
      linkState: 'up',
      bfd: 'up',
      rxPackets: 8,
      txPackets: 17,
      rxBytes: 664,
      txBytes: 1722,
      error: null,
    });
  });

  it("keeps OVS's IPv4 tunnel routes through the underlay bridge", () => {
    const text = [
      'Route Table:',
      'Cached: 198.18.0.1/32 dev ovs-underlay SRC 198.18.0.1 local',
      'Cached: 172.17.0.0/16 dev docker0 SRC 172.17.0.1',
      'Cached: 198.18.0.0/24 dev ovs-underlay SRC 198.18.0.1',
      'Cached: fe80::/64 dev ovs-underlay SRC fe80::1',
      'User: 10.0.0.0/8 dev ovs-underlay GW 198.18.0.254 SRC 198.18.0.1',
    ].join('\n');
    expect(underlayTunnelRoutes(text)).toEqual([
      'Cached: 198.18.0.0/24 dev ovs-underlay SRC 198.18.0.1',
      'User: 10.0.0.0/8 dev ovs-underlay GW 198.18.0.254 SRC 198.18.0.1',
    ]);
  });

  it('gives the NIC a locally administered MAC that is never its own', () => {
    for (const mac of ['22:26:c2:24:13:6d', '00:16:3e:00:00:01', '02:00:00:00:00:5a']) {
      const other = standInMac(mac);
      expect(other).not.toBe(mac);
      expect(parseInt(other.slice(0, 2), 16) & 0x03).toBe(0x02);
    }
  });
});

describe('live GRE port counters', () => {
  // `ovs-ofctl --names dump-ports xnet-ovs` from a lab host (OVS 3.1.0, userspace datapath): the LOCAL port
  // and one GRE port, whose drop/error counters the userspace tunnel does not keep.
  const dump = [
    'OFPST_PORT reply (xid=0x2): 2 ports',
    '  port LOCAL: rx pkts=24, bytes=2322, drop=0, errs=0, frame=0, over=0, crc=0',
    '           tx pkts=10, bytes=912, drop=0, errs=0, coll=0',
    '  port  "gre-c6120002": rx pkts=19, bytes=1506, drop=?, errs=?, frame=?, over=?, crc=?',
    '           tx pkts=35, bytes=3244, drop=?, errs=?, coll=?',
    '',
  ].join('\n');

  it('reads rx and tx of every port, quoted name or not', () => {
    expect(parsePortStats(dump)).toEqual([
      { name: 'LOCAL', rx: { packets: 24, bytes: 2322 }, tx: { packets: 10, bytes: 912 } },
      { name: 'gre-c6120002', rx: { packets: 19, bytes: 1506 }, tx: { packets: 35, bytes: 3244 } },
    ]);
    expect(parsePortStats('OFPST_PORT reply (xid=0x2): 0 ports\n')).toEqual([]);
  });

  it('names the peer from the port name, and nothing else', () => {
    for (const a of ['198.18.0.2', '10.0.255.1', '255.255.255.255', '0.0.0.0'])
      expect(greRemote(grePortName(a))).toBe(a);
    expect(greRemote('LOCAL')).toBeUndefined();
    expect(greRemote('gre-c61200')).toBeUndefined();
    expect(greRemote('gre-C6120002')).toBeUndefined();
  });
});

describe("the userspace datapath's GRE tx counters", () => {
  it('halves the packets and takes the GRE encapsulation out of the bytes', () => {
    // What a lab host's GRE port added during 30 pings of 1,042-byte frames and 6 BFD frames (66 bytes).
    expect(userspaceGreTx({ packets: 72, bytes: 64_680 })).toEqual({
      packets: 36,
      bytes: 30 * 1042 + 6 * 66,
    });
    expect(userspaceGreTx({ packets: 0, bytes: 0 })).toEqual({ packets: 0, bytes: 0 });
  });
});
