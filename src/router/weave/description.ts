import { FIELD, type DriverDescription } from '../description.js';

export const weave: DriverDescription = {
  name: 'weave',
  built: true,
  summary: 'the Weave Net router container, its own IPAM',
  launch: [FIELD.nickname, FIELD.range, FIELD.peers, FIELD.passwordFile],
  resetRemoves: 'the Weave router, its data and bridge',
  telemetry: { peerCounters: false },
};
