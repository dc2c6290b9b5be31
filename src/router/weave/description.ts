import { FIELD, type DriverDescription } from '../description.js';

export const weave: DriverDescription = {
  name: 'weave',
  built: true,
  summary: 'the Weave Net router container, its own IPAM',
  launch: [FIELD.nickname, FIELD.range, FIELD.peers, FIELD.passwordFile],
  resetRemoves: 'the Weave router, its data and bridge',
  // The router's own (it runs in the host's namespace); its HTTP API and status on loopback.
  ports: [
    { port: 6783, proto: 'tcp', what: 'Weave control' },
    { port: 6783, proto: 'udp', what: 'Weave sleeve' },
    { port: 6784, proto: 'udp', what: 'Weave fastdp' },
    { port: 6784, proto: 'tcp', what: 'Weave HTTP API (loopback)' },
    { port: 6782, proto: 'tcp', what: 'Weave status (loopback)' },
  ],
  telemetry: { peerCounters: false },
};
