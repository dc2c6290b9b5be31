import type { PeerStatus } from '../driver.js';
import { dataPlaneOf, type PeerReading } from '../data-plane.js';
import type { SerfMember } from '../serf/rpc.js';
import { VXLAN_PORT } from './description.js';
import { VXLAN_OVERHEAD } from './device.js';

/** A peer's data-plane state from the probe loops' small and full-size streams, pure. */
export function dataPlaneView(
  r: PeerReading | undefined,
  addr: string,
  mtu: number | undefined,
): PeerStatus['dataPlane'] | undefined {
  if (!r || !mtu) return undefined;
  const state = dataPlaneOf(r.small, r.full);
  const detail =
    state === 'unreachable'
      ? `no reply over VXLAN (UDP ${VXLAN_PORT}) from ${addr}`
      : state === 'mtu-too-small'
        ? `${mtu}-byte packets do not cross; the path MTU to ${addr} is below ${mtu + VXLAN_OVERHEAD}`
        : state === 'unknown'
          ? r.checkedAt
            ? `no probe answer or timeout since ${r.checkedAt}`
            : 'not probed yet'
          : null;
  return { state, rttMs: state === 'unknown' ? null : r.rttMs, detail, checkedAt: r.checkedAt };
}

/** Every member as status shows it: gossip first (a member not alive is unknown), then the probes. */
export function peerStatuses(
  members: readonly SerfMember[],
  self: string,
  reading: (ll: string) => PeerReading | undefined,
  mtu: number | undefined,
): PeerStatus[] {
  return members.map((m) => {
    const isSelf = m.name === self;
    const dp = m.tags.ll ? dataPlaneView(reading(m.tags.ll), m.addr, mtu) : undefined;
    return {
      name: m.name,
      nickname: m.tags.nick ?? '',
      address: m.addr,
      gossip: m.status,
      dataPlane: isSelf
        ? { state: 'reachable', rttMs: 0, detail: 'this host', checkedAt: null }
        : m.status !== 'alive'
          ? {
              state: 'unknown',
              rttMs: null,
              detail: `gossip says ${m.status}`,
              checkedAt: dp?.checkedAt ?? null,
            }
          : (dp ?? { state: 'unknown', rttMs: null, detail: 'not probed yet', checkedAt: null }),
      self: isSelf,
      probeAddress: m.tags.ll || null,
    };
  });
}
