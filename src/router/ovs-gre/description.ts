import { FIELD, SERF_PORTS, type DriverDescription } from '../description.js';

export const ovsGre: DriverDescription = {
  name: 'ovs-gre',
  built: true,
  summary: "Open vSwitch GRE ports; docker's bridge gets the subnet",
  // No shared range: each host has its own subnet, which it needs.
  launch: [
    FIELD.nickname,
    {
      key: 'subnet',
      label: 'subnet',
      placeholder: '(needed; e.g. 172.25.1.0/24, one per host)',
      help: "this host's container subnet, given to docker's bridge (e.g. 172.25.1.0/24)",
    },
    FIELD.peers,
    FIELD.passwordFile,
  ],
  resetRemoves: 'OVS bridges, GRE ports, routes and the dockerd options ovs-gre set',
  // GRE is IP protocol 47, no port: the gossip's are what listens.
  ports: SERF_PORTS,
  // Userspace OVS (datapath_type=netdev) carries GRE itself: no kernel module, and GRE has no port to drop.
  host: { modules: [], dataPlane: [], clocks: false },
  // Outer IPv4 20, GRE 4, the inner Ethernet 14; docker's bridge gets the underlay's MTU less this at launch.
  // (layout.ts's GRE_OVERHEAD, which imports more than the TUI bundle should; a test keeps the two equal).
  mtu: { overhead: [{ path: 'GRE', bytes: 38 }], fit: 'underlay' },
  // Per-peer figures from each GRE port's counters.
  telemetry: { peerCounters: true },
};
