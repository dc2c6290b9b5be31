import { FIELD, type DriverDescription } from '../description.js';

export const VXLAN_DEV = 'xnet-vx';
export const VXLAN_PORT = 4789;

export const vxlan: DriverDescription = {
  name: 'vxlan',
  built: true,
  summary: 'kernel VXLAN mesh, Serf gossip',
  launch: [FIELD.nickname, FIELD.range, FIELD.peers, FIELD.passwordFile, FIELD.mtu],
  resetRemoves: 'the VXLAN device, gossip state',
  telemetry: { tunnel: { device: VXLAN_DEV, protocol: 'udp', port: VXLAN_PORT }, peerCounters: false },
};
