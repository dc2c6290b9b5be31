import { FIELD, SERF_PORTS, type DriverDescription } from '../description.js';

/** DESIGN.md's first way: the NIC in a bridge, dockerd's containers on the host LAN, a slice per host. */
export const bridge: DriverDescription = {
  name: 'bridge',
  built: true,
  summary: "the NIC in a LAN bridge; dockerd's containers get this host's slice of the LAN",
  // No range of its own: the LAN is the range, and each host takes a slice of it.
  launch: [
    FIELD.nickname,
    {
      key: 'subnet',
      label: 'slice',
      placeholder: '(proposed; e.g. 198.18.0.16/28, one per host)',
      help: "this host's docker slice of the LAN (dockerd's fixed-cidr; proposed when left out)",
    },
    FIELD.peers,
    FIELD.passwordFile,
  ],
  launching:
    'the NIC moves into br0; unless the default gateway and the peers answer within 10 s, everything is put back by itself',
  resetRemoves: 'the bridge (the NIC gets its addresses and routes back) and the dockerd options it set',
  // No tunnel: members' gossip only.
  ports: SERF_PORTS,
  host: { modules: [], dataPlane: [], clocks: false },
  // No encapsulation: containers get the LAN's own MTU, so a smaller path is the LAN's to fix.
  mtu: { overhead: [{ path: 'the LAN', bytes: 0 }], fit: 'path' },
  // No tunnel per peer to count: every port of br0 (plain `docker run` containers too) by the LAN address.
  telemetry: { peerCounters: false, bridgePorts: true },
};
