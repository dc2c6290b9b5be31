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
  // fastdp needs openvswitch but falls back to sleeve without it, so no module is required.
  host: {
    modules: [],
    dataPlane: [
      { port: 6783, proto: 'udp', what: 'Weave sleeve' },
      { port: 6784, proto: 'udp', what: 'Weave fastdp' },
    ],
    clocks: false,
  },
  // fastdp is VXLAN (50); sleeve is Weave's own UDP framing, for which its default MTU (1376) leaves 124 of 1500.
  // The router chooses its MTU itself (WEAVE_MTU at its launch): the driver takes no --mtu.
  mtu: {
    overhead: [
      { path: 'fastdp', bytes: 50 },
      { path: 'sleeve', bytes: 124 },
    ],
    fit: 'path',
  },
  telemetry: { peerCounters: false },
};
