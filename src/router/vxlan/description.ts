import { FIELD, SERF_PORTS, type DriverDescription } from '../description.js';

export const VXLAN_DEV = 'xnet-vx';
export const VXLAN_PORT = 4789;
/** The address table's pull: a member asks another for its whole list over TCP on its gossip address. */
export const PULL_PORT = 7947;
/** What VXLAN adds to a frame on the underlay: outer IPv4 (20) + UDP (8) + VXLAN (8) + inner Ethernet (14). */
export const VXLAN_OVERHEAD = 50;

export const vxlan: DriverDescription = {
  name: 'vxlan',
  built: true,
  summary: 'kernel VXLAN mesh, Serf gossip',
  launch: [FIELD.nickname, FIELD.range, FIELD.peers, FIELD.passwordFile, FIELD.mtu],
  resetRemoves: 'the VXLAN device, gossip state',
  ports: [
    { port: VXLAN_PORT, proto: 'udp', what: 'VXLAN' },
    ...SERF_PORTS,
    { port: PULL_PORT, proto: 'tcp', what: 'address table pull' },
  ],
  host: {
    modules: [{ name: 'vxlan', what: 'VXLAN' }],
    dataPlane: [{ port: VXLAN_PORT, proto: 'udp', what: 'VXLAN' }],
    clocks: true,
  },
  mtu: { overhead: [{ path: 'VXLAN', bytes: VXLAN_OVERHEAD }], fit: 'launch-mtu' },
  telemetry: {
    tunnel: { device: VXLAN_DEV, protocol: 'udp', port: VXLAN_PORT },
    peerCounters: false,
    fastPath: { device: VXLAN_DEV },
  },
};
