import { run } from './exec.js';
import { inNetns, type NetnsPath } from './netns.js';

/**
 * VXLAN has no authentication and this kernel has no ESP, so a mesh password alone closes only the gossip: one
 * FDB entry on an outsider reached a member's containers. As Docker drops unencrypted VXLAN from non-members,
 * UDP to the VXLAN port is accepted only from current members' underlay addresses: a chain of our own, jumped
 * to from INPUT, rewritten whole (iptables-restore, one commit) on every membership change.
 */
export const VXLAN_CHAIN = 'XNET-VXLAN';

function jump(port: number): string[] {
  return ['INPUT', '-p', 'udp', '--dport', String(port), '-j', VXLAN_CHAIN];
}

/** The chain's contents for these members: theirs go on through INPUT, everything else is dropped. Pure. */
export function vxlanChain(members: readonly string[]): string {
  return [
    '*filter',
    // Declared with --noflush, a chain is created if missing and flushed if present: the swap is atomic.
    `:${VXLAN_CHAIN} - [0:0]`,
    ...[...new Set(members)].sort().map((m) => `-A ${VXLAN_CHAIN} -s ${m}/32 -j RETURN`),
    `-A ${VXLAN_CHAIN} -m comment --comment "xnet: VXLAN only from mesh members" -j DROP`,
    'COMMIT',
    '',
  ].join('\n');
}

async function iptables(netns: NetnsPath, args: string[]): Promise<boolean> {
  const [file, argv] = inNetns(netns, 'iptables', ['-w', '5', ...args]);
  return run(file, argv).then(
    () => true,
    () => false,
  );
}

/** Accepts VXLAN on `port` only from `members` (their underlay addresses). */
export async function restrictVxlan(
  netns: NetnsPath,
  port: number,
  members: readonly string[],
): Promise<void> {
  const [file, argv] = inNetns(netns, 'iptables-restore', ['-w', '5', '--noflush']);
  await run(file, argv, { input: vxlanChain(members) });
  if (!(await iptables(netns, ['-C', ...jump(port)]))) await iptables(netns, ['-I', ...jump(port)]);
}

/** Removes the jump and the chain; idempotent. */
export async function unrestrictVxlan(netns: NetnsPath, port: number): Promise<void> {
  while (await iptables(netns, ['-D', ...jump(port)])) {
    /* every copy */
  }
  await iptables(netns, ['-F', VXLAN_CHAIN]);
  await iptables(netns, ['-X', VXLAN_CHAIN]);
}
