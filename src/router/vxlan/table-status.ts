import type { AddressClash, AddressHolder, AddressTableStatus } from '../../api/router-status.js';
import type { SerfMember } from '../serf/rpc.js';
import type { Clash, Holding } from './table.js';
import { PULL_PORT } from './pull.js';

/** The table's clashes in the API's terms: each holder with its host's nickname. */
export function clashView(
  clashes: readonly Clash[],
  members: readonly SerfMember[],
  self?: string,
): AddressClash[] {
  const nick = new Map(members.map((m) => [m.name, m.tags.nick ?? '']));
  const holder = (h: Holding): AddressHolder => ({
    host: h.host,
    nickname: nick.get(h.host) ?? '',
    container: h.container,
    since: h.since,
    self: h.host === self,
  });
  return clashes.map((c) => ({ address: c.address, kept: holder(c.kept), flagged: c.flagged.map(holder) }));
}

export function tableStatus(
  clashes: readonly Clash[],
  size: { entries: number; hosts: number },
  members: readonly SerfMember[],
  self: string,
  sealed: boolean,
): AddressTableStatus {
  return {
    ...size,
    clashes: clashView(clashes, members, self),
    sync: sealed
      ? `members' lists pulled over TCP ${PULL_PORT}, signed and sealed with the mesh key`
      : `members' lists pulled over TCP ${PULL_PORT}, open (no mesh password)`,
  };
}
