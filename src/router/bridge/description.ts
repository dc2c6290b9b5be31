import { FIELD, type DriverDescription } from '../description.js';

/** DESIGN.md's first way: dockerd's bridge on the host LAN. Listed, not built yet. */
export const bridge: DriverDescription = {
  name: 'bridge',
  built: false,
  summary: "dockerd's bridge on the host LAN",
  launch: [FIELD.nickname, FIELD.range, FIELD.peers, FIELD.passwordFile],
  resetRemoves: 'nothing yet',
  telemetry: { peerCounters: false },
};
