import type { PacketStop } from '../api/router-status.js';
import type { RuleCount } from '../net/vxlan-filter.js';
import { routeContains } from '../net/cidr.js';

/**
 * Where a blocked tunnel's packets stop, from what the kernel already counts over the last seconds: the
 * underlay's per-peer counters (eBPF on tc, before the firewall), the firewall rules' own counters, and the
 * tunnel device's received packets. Pure: figures in, one sentence and a machine-readable place out.
 */

export interface PathFigures {
  /** "peer two (198.18.0.2)" */
  who: string;
  address: string;
  seconds: number;
  underlayDev: string;
  device: string;
  port: number;
  /** Tunnel packets on the underlay in the window: from the peer (ingress) and to it (egress). */
  fromPeer: number;
  toPeer: number;
  /** Packets the tunnel device received in the window, from every peer. */
  deviceRx: number;
  /** Each rule's packets in the window. */
  rules: readonly RuleCount[];
  /** Who our admission lets through where our rules do not name them (eBPF marks, the chain passes marked). */
  admitted?: readonly string[];
}

export interface PacketPath {
  stop: PacketStop;
  text: string;
}

const matches = (r: RuleCount, address: string): boolean =>
  r.source === null || routeContains(r.source, address);

export function whereStopped(f: PathFigures): PacketPath {
  const udp = `UDP ${f.port}`;
  const window = `in ${f.seconds} s`;
  if (f.fromPeer === 0)
    return f.toPeer === 0
      ? {
          stop: 'not-sent',
          text: `nothing leaves ${f.underlayDev} for ${f.who} and nothing arrives from it ${window}: no forwarding entry for it (is it alive in gossip?)`,
        }
      : {
          stop: 'path',
          text: `nothing arrives from ${f.who} on ${f.underlayDev} (${f.toPeer} packets sent to it ${window}): the peer or the path drops it`,
        };
  const arrives = `${udp} arrives on ${f.underlayDev} (${f.fromPeer} packets ${window}) but never reaches ${f.device}`;
  const mine = f.rules.filter((r) => r.ours);
  const admitted = f.admitted
    ? f.admitted.includes(f.address)
    : mine.some((r) => r.verdict === 'return' && r.source !== null && matches(r, f.address));
  const dropping = f.rules.filter(
    (r) => r.verdict === 'drop' && r.packets > 0 && matches(r, f.address) && !(r.ours && admitted),
  );
  const other = dropping.find((r) => !r.ours);
  if (other)
    return {
      stop: 'firewall',
      text: `${arrives}: a firewall rule drops it (${other.packets} packets): ${other.rule}`,
    };
  if (dropping.length > 0)
    return {
      stop: 'our-rule',
      text: `${arrives}: our rule XNET-VXLAN drops it (${f.address} is not admitted as a member)`,
    };
  // Our chain's RETURN for this peer counts exactly its packets through; without the chain, the device's total.
  const passed = mine.find((r) => r.verdict === 'return' && r.source !== null && matches(r, f.address));
  const reached = passed ? passed.packets > 0 && f.deviceRx > 0 : f.deviceRx > 0;
  if (!reached)
    return {
      stop: 'before-tunnel',
      text: `${arrives}: something before it drops it that iptables does not count (nft list ruleset)`,
    };
  if (f.toPeer === 0)
    return {
      stop: 'no-reply',
      text: `packets from ${f.who} reach ${f.device} but no reply leaves ${f.underlayDev} for it`,
    };
  return {
    stop: 'peer-drops',
    text: `${udp} from ${f.who} reaches ${f.device} here and ours leave for it (${f.toPeer} packets ${window}), but none is answered: ${f.address} drops what we send (xnet-tui doctor there names the rule)`,
  };
}
