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
  // Per-peer figures from each GRE port's counters.
  telemetry: { peerCounters: true },
};
