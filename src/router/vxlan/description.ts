import { FIELD, SERF_PORTS, type DriverDescription } from '../description.js';

export const VXLAN_DEV = 'xnet-vx';
export const VXLAN_PORT = 4789;
/** The address table's pull: a member asks another for its whole list over TCP on its gossip address. */
export const PULL_PORT = 7947;

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
  telemetry: { tunnel: { device: VXLAN_DEV, protocol: 'udp', port: VXLAN_PORT }, peerCounters: false },
};
