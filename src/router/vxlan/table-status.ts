import type { AdmitMode } from '../../net/vxlan-admit.js';
import { VXLAN_CHAIN } from '../../net/vxlan-filter.js';
import type { AddressClash, AddressHolder, AddressTableStatus } from '../../api/router-status.js';
import type { SerfMember } from '../serf/rpc.js';
import type { Clash, Holding } from './table.js';
import { PULL_PORT } from './pull.js';
import type { LaunchSettings } from '../driver.js';
import type { MeshAddresses } from './addresses.js';
import { VXLAN_PORT } from './description.js';

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

/** The router status's vxlan details: the address table's summary. */
export function addressDetails(
  addresses: MeshAddresses,
  members: readonly SerfMember[],
  self: string,
  settings: LaunchSettings | undefined,
) {
  const table = tableStatus(
    addresses.clashes(),
    addresses.table.size,
    members,
    self,
    Boolean(settings?.passwordFile),
  );
  return { details: { driver: 'vxlan' as const, addresses: table } };
}

/** What the firewall lets in, in the operator's words (undefined: membership not read yet). */
export function dataPlanePolicy(admitted: number | undefined, mode?: AdmitMode, dev?: string): string {
  const by =
    mode === 'ebpf'
      ? ` (eBPF on ${dev ?? 'the underlay'}, chain ${VXLAN_CHAIN})`
      : mode === 'iptables'
        ? ` (chain ${VXLAN_CHAIN})`
        : '';
  return admitted === undefined
    ? `VXLAN (UDP ${VXLAN_PORT}) not restricted yet (membership not read), not encrypted`
    : `restricted to members: VXLAN (UDP ${VXLAN_PORT}) accepted from ${admitted} member address(es) only${by}; not encrypted (no ESP on this kernel)`;
}
