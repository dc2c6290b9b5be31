import type { NetnsPath } from '../../net/netns.js';
import { dataPlaneOf, type PeerReading, type ProbePlan } from '../data-plane.js';
import type { ConnectionStatus, LaunchSettings, PeerStatus, RouterStatus } from '../driver.js';
import { defaultGateway, type NicRecord } from './nic.js';
import type { Lan } from './plan.js';
import type { SerfMember } from '../serf/rpc.js';

export interface Member {
  name: string;
  address: string;
  nickname: string;
  /** the docker slice its tag announces */
  subnet: string | null;
  status: SerfMember['status'];
}

export function toMember(m: SerfMember): Member {
  return {
    name: m.name,
    address: m.tags.addr ?? m.addr,
    nickname: m.tags.nick ?? '',
    subnet: m.tags.subnet ?? null,
    status: m.status,
  };
}

/**
 * Data-plane truth on a flat LAN: an echo straight to each member's LAN address from br0, the path containers
 * take too (no tunnel in between). The host's probe loops run it (the driver plans them); this reads them.
 */
export function lanProbePlan(
  bridge: string,
  netns: NetnsPath,
  mtu: number,
  members: readonly Member[],
  self: string,
): ProbePlan {
  return {
    point: { netns, dev: bridge },
    mtu,
    targets: members.filter((m) => m.address !== self && m.status === 'alive').map((m) => m.address),
  };
}

export function peersOf(
  members: readonly Member[],
  self: string,
  reading: ((address: string) => PeerReading) | undefined,
): PeerStatus[] {
  return members.map((m) => {
    const isSelf = m.address === self;
    const r = isSelf ? undefined : reading?.(m.address);
    const state = r ? dataPlaneOf(r.small, r.full) : 'unknown';
    return {
      name: m.name,
      nickname: m.nickname,
      address: m.address,
      gossip: m.status,
      dataPlane: {
        state: isSelf ? 'reachable' : state,
        rttMs: isSelf ? 0 : state === 'unknown' ? null : (r?.rttMs ?? null),
        detail: isSelf
          ? 'this host'
          : state === 'reachable'
            ? `echo across the LAN${m.subnet ? `; its slice ${m.subnet}` : ''}`
            : state === 'unreachable'
              ? `no echo reply from ${m.address} on the LAN`
              : state === 'mtu-too-small'
                ? `full-size echoes to ${m.address} are lost on the LAN while small ones answer`
                : r?.checkedAt
                  ? `no probe answer or timeout since ${r.checkedAt}`
                  : 'not probed yet',
        checkedAt: r?.checkedAt ?? null,
      },
      self: isSelf,
      probeAddress: m.address,
      subnet: m.subnet,
    };
  });
}

/** Every host's slice as Serf tags carry it, this host's included. */
export function slicesOf(members: readonly Member[]): { name: string; host: string; slice: string }[] {
  return members
    .filter((m) => m.subnet && m.status !== 'left' && m.status !== 'none')
    .map((m) => ({
      name: m.name,
      host: m.nickname ? `${m.nickname} (${m.address})` : m.address,
      slice: m.subnet!,
    }));
}

/** What `status` says of the router, from what the driver holds (the NIC and LAN once launched). */
export function statusOf(o: {
  settings: LaunchSettings | undefined;
  nic: NicRecord | undefined;
  lan: Lan | undefined;
  bridge: string;
  slice: string | undefined;
  members: readonly Member[];
  joins: ConnectionStatus[];
  reading: ((address: string) => PeerReading) | undefined;
}): Omit<RouterStatus, 'driver' | 'state'> {
  const { lan, nic } = o;
  return {
    nickname: o.settings?.nickname ?? null,
    name: lan?.address ?? null,
    listen: lan?.address ?? null,
    range: o.slice ?? null,
    encrypted: Boolean(o.settings?.passwordFile),
    bridge: { name: o.bridge, mtu: nic?.mtu ?? null },
    underlayMtu: nic?.mtu ?? null,
    peers: peersOf(o.members, lan?.address ?? '', o.reading),
    connections: o.joins,
    warnings: [],
    ...(lan && nic
      ? {
          details: {
            driver: 'bridge' as const,
            lan: {
              nic: nic.dev,
              bridge: o.bridge,
              lan: lan.cidr,
              slice: o.slice ?? null,
              gateway: defaultGateway(nic) ?? null,
              slices: slicesOf(o.members).map(({ host, slice }) => ({ host, slice })),
            },
          },
        }
      : {}),
  };
}
