import { describe, expect, it } from 'vitest';
import type { RouterStatus } from '../../src/router/driver.js';
import { lanKeyBytes, lanTable, lanView, remoteKind, type LanView } from '../../src/telemetry/lan-table.js';
import { hostEnds } from '../../src/telemetry/ports.js';
import { driverTelemetry } from '../../src/telemetry/tunnel.js';
import { routeContains } from '../../src/net/cidr.js';

const view: LanView = {
  nic: 'eth0',
  lan: '198.18.0.0/24',
  gateway: '198.18.0.254',
  self: { address: '198.18.0.1', subnet: '198.18.0.16/28' },
  members: [
    { address: '198.18.0.2', subnet: '198.18.0.32/28' },
    { address: '198.18.0.3', subnet: null },
  ],
};

/** The longest prefix holding `addr`, as the kernel's LPM trie picks it. */
function lookup(addr: string): string {
  const hits = lanTable(view).filter((e) => routeContains(e.cidr, addr) || e.cidr === '0.0.0.0/0');
  hits.sort((a, b) => Number(b.cidr.split('/')[1]) - Number(a.cidr.split('/')[1]));
  return hits[0]?.label ?? '';
}

describe("the LAN table a bridge port's other end is looked up in", () => {
  it('names members by slice and address, this host, the gateway and beyond, and the rest of the LAN', () => {
    const cases: [string, string, ReturnType<typeof remoteKind>][] = [
      ['198.18.0.33', '198.18.0.2', 'member'], // a container in two's slice
      ['198.18.0.2', '198.18.0.2', 'member'], // two itself
      ['198.18.0.3', '198.18.0.3', 'member'], // a member without a slice
      ['198.18.0.17', '198.18.0.1', 'this-host'],
      ['198.18.0.254', '198.18.0.254', 'gateway'],
      ['8.8.8.8', '198.18.0.254', 'gateway'], // routed through the gateway
      ['198.18.0.100', '198.18.0.0', 'lan'],
      ['198.18.0.255', '198.18.0.0', 'lan'],
      ['255.255.255.255', '198.18.0.0', 'lan'],
      ['224.0.0.251', '198.18.0.0', 'lan'],
    ];
    for (const [addr, label, kind] of cases) {
      expect(lookup(addr), addr).toBe(label);
      expect(remoteKind(view, label), addr).toBe(kind);
    }
    expect(remoteKind(view, '')).toBe('other');
  });

  it('has no default route without a gateway: off-LAN addresses are left unlabelled', () => {
    const t = lanTable({ ...view, gateway: null });
    expect(t.find((e) => e.cidr === '0.0.0.0/0')).toBeUndefined();
    expect(t.some((e) => e.label === '198.18.0.254')).toBe(false);
  });

  it("writes struct lan_key's bytes: prefix length little-endian, then the address in network order", () => {
    expect(lanKeyBytes('198.18.0.32/28')).toEqual([28, 0, 0, 0, 198, 18, 0, 32]);
  });

  it("reads the LAN from the bridge driver's status, and nothing from a driver without one", () => {
    const r = {
      driver: 'bridge',
      state: 'running',
      listen: '198.18.0.1',
      bridge: { name: 'br0', mtu: 1500 },
      peers: [
        { address: '198.18.0.1', self: true, subnet: '198.18.0.16/28' },
        { address: '198.18.0.2', self: false, subnet: '198.18.0.32/28' },
      ],
      details: {
        driver: 'bridge',
        lan: {
          nic: 'eth0',
          bridge: 'br0',
          lan: '198.18.0.0/24',
          slice: '198.18.0.16/28',
          gateway: '198.18.0.254',
          slices: [],
        },
      },
    } as unknown as RouterStatus;
    expect(lanView(r)).toEqual({
      nic: 'eth0',
      lan: '198.18.0.0/24',
      gateway: '198.18.0.254',
      self: { address: '198.18.0.1', subnet: '198.18.0.16/28' },
      members: [{ address: '198.18.0.2', subnet: '198.18.0.32/28' }],
    });
    expect(lanView({ ...r, details: undefined } as RouterStatus)).toBeUndefined();
  });

  it("asks the driver's description whether to count the bridge's ports", () => {
    const r = (driver: string) => ({ driver }) as unknown as RouterStatus;
    expect(driverTelemetry(r('bridge'), 'eth0')).toEqual({ peerCounters: false, bridgePorts: true });
    expect(driverTelemetry(r('vxlan'), 'eth0').bridgePorts).toBeUndefined();
    expect(driverTelemetry(r('vxlan'), 'eth0').tunnel?.device).toBe('eth0');
  });
});

describe("a container's ports, from its own side", () => {
  it('takes the host end of each veth from its link index, and leaves lo and non-veths alone', () => {
    // `ip -j addr` in a busybox container on br0 with an xnet attachment (ethwe), trimmed.
    const list = [
      { ifindex: 1, ifname: 'lo', flags: [], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [] },
      {
        ifindex: 2,
        ifname: 'eth0',
        link_index: 6,
        link_netnsid: 0,
        flags: [],
        mtu: 1500,
        address: '02:42:c6:12:00:10',
        addr_info: [],
      },
      {
        ifindex: 3,
        ifname: 'ethwe',
        link_index: 9,
        link_netnsid: 0,
        flags: [],
        mtu: 1500,
        address: '0e:aa:bb:cc:dd:ee',
        addr_info: [],
      },
      { ifindex: 4, ifname: 'tap0', link_index: 4, flags: [], mtu: 1500, addr_info: [] },
    ];
    expect(hostEnds(list)).toEqual([
      { ifindex: 6, mac: '02:42:c6:12:00:10' },
      { ifindex: 9, mac: '0e:aa:bb:cc:dd:ee' },
    ]);
  });
});
