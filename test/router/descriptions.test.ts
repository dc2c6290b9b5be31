import { describe, expect, it } from 'vitest';
import {
  describeDriver,
  describeDrivers,
  launchOptionHelp,
  launchValues,
} from '../../src/router/descriptions.js';
import { DriverName, ipamOf, ovsOf, RouterStatus } from '../../src/router/driver.js';
import { BridgeDriver } from '../../src/router/bridge/driver.js';
import { OvsGreDriver } from '../../src/router/ovs-gre/driver.js';
import { builtDrivers } from '../../src/router/registry.js';
import { VxlanDriver } from '../../src/router/vxlan/driver.js';
import { WeaveDriver } from '../../src/router/weave/driver.js';
import { SERF_RPC } from '../../src/router/serf/membership.js';
import { SERF_PORT } from '../../src/router/serf/process.js';
import { PULL_PORT } from '../../src/router/vxlan/pull.js';
import { VXLAN_PORT } from '../../src/router/vxlan/description.js';
import { FASTDP_PORT, WEAVE_PORT } from '../../src/router/weave/status.js';
import { WEAVE_HTTP_ADDR } from '../../src/router/weave/api.js';
import { STATUS_ADDR } from '../../src/router/weave/container.js';
import { launchFields } from '../../src/ui/state/model.js';

const CLASSES = {
  vxlan: VxlanDriver,
  bridge: BridgeDriver,
  'ovs-gre': OvsGreDriver,
  weave: WeaveDriver,
} as const;

const status = (details: unknown): unknown => ({
  driver: 'ovs-gre',
  state: 'running',
  nickname: 'h1',
  name: 'h1',
  listen: '198.18.0.1',
  range: '172.25.1.0/24',
  encrypted: false,
  bridge: { name: 'docker0', mtu: 1462 },
  underlayMtu: 1500,
  peers: [],
  connections: [],
  warnings: [],
  details,
});

describe('driver descriptions', () => {
  it('describe every driver once, under its own name', () => {
    expect(describeDrivers().map((d) => d.name)).toEqual(DriverName.options);
    for (const n of DriverName.options) expect(describeDriver(n).name).toBe(n);
  });

  it('say built for exactly the drivers the registry can create', () => {
    expect(
      describeDrivers()
        .filter((d) => d.built)
        .map((d) => d.name)
        .sort(),
    ).toEqual(builtDrivers().sort());
  });

  it('say the ports each driver listens on, the same numbers the code binds', () => {
    const ports = (n: DriverName) => describeDriver(n).ports.map((p) => `${p.proto}/${p.port}`);
    const serf = [`tcp/${SERF_PORT}`, `udp/${SERF_PORT}`, `tcp/${SERF_RPC.split(':')[1]}`];
    expect(ports('vxlan')).toEqual([`udp/${VXLAN_PORT}`, ...serf, `tcp/${PULL_PORT}`]);
    expect(ports('ovs-gre')).toEqual(serf);
    expect(ports('bridge')).toEqual(serf);
    expect(ports('weave')).toEqual([
      `tcp/${WEAVE_PORT}`,
      `udp/${WEAVE_PORT}`,
      `udp/${FASTDP_PORT}`,
      `tcp/${WEAVE_HTTP_ADDR.split(':')[1]}`,
      `tcp/${STATUS_ADDR.split(':')[1]}`,
    ]);
  });

  it('say peerCounters for exactly the drivers that implement peerCounters()', () => {
    for (const [name, cls] of Object.entries(CLASSES))
      expect([name, describeDriver(name as DriverName).telemetry.peerCounters]).toEqual([
        name,
        typeof (cls.prototype as { peerCounters?: unknown }).peerCounters === 'function',
      ]);
  });

  it('give the launch form its fields: ovs-gre a per-host subnet, the others a shared range', () => {
    expect(launchFields('ovs-gre')).toEqual(['driver', 'nickname', 'subnet', 'peers', 'passwordFile']);
    expect(launchFields('vxlan')).toEqual(['driver', 'nickname', 'range', 'peers', 'passwordFile', 'mtu']);
    expect(launchFields('weave')).toEqual(['driver', 'nickname', 'range', 'peers', 'passwordFile']);
    // bridge: the same per-host field, labelled slice (a part of the LAN, not a subnet of its own).
    expect(launchFields('bridge')).toEqual(['driver', 'nickname', 'subnet', 'peers', 'passwordFile']);
    expect(describeDriver('bridge').launch.find((f) => f.key === 'subnet')!.label).toBe('slice');
  });

  it('prefix CLI help with the drivers that take an option when not all do', () => {
    // Worded per driver where they differ.
    expect(launchOptionHelp('subnet')).toMatch(
      /^bridge: this host's docker slice of the LAN .*; ovs-gre: this host's container subnet/,
    );
    expect(launchOptionHelp('range')).toBe('vxlan, weave: overlay address range (default 10.32.0.0/12)');
    expect(launchOptionHelp('nickname')).toMatch(/^a human name/);
  });

  it('name the vxlan tunnel telemetry counts on the underlay', () => {
    expect(describeDriver('vxlan').telemetry.tunnel).toEqual({
      device: 'xnet-vx',
      protocol: 'udp',
      port: 4789,
    });
    expect(describeDriver('ovs-gre').telemetry.tunnel).toBeUndefined();
  });
});

describe('per-driver status details', () => {
  const ovs = {
    bridge: { name: 'xnet-ovs', present: true, mtu: 1462 },
    datapath: 'netdev',
    daemons: 'private',
    dockerBridge: { name: 'docker0', plugged: true, address: '172.25.1.1/24' },
    subnet: '172.25.1.0/24',
    underlayBridge: null,
    tunnelRoutes: [],
    ports: [],
    routes: [],
  };

  it('are a union tagged by driver: ovs details under weave are refused', () => {
    expect(RouterStatus.safeParse(status({ driver: 'weave', ovs })).success).toBe(false);
  });

  it('are read through ovsOf/ipamOf, and give the launch form its subnet', () => {
    const parsed = RouterStatus.safeParse(status({ driver: 'ovs-gre', ovs }));
    expect(parsed.error?.issues).toBeUndefined();
    const r = parsed.data!;
    expect(ovsOf(r)?.subnet).toBe('172.25.1.0/24');
    expect(ipamOf(r)).toBeUndefined();
    expect(launchValues(r)).toEqual({ nickname: 'h1', range: '172.25.1.0/24', subnet: '172.25.1.0/24' });
  });
});
