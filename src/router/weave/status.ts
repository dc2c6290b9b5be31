import { linkLocalOfMac } from '../data-plane.js';
import type { ConnectionStatus, IpamStatus, PeerStatus } from '../driver.js';
import type { WeaveConnection, WeaveIpam, WeaveReport } from './report.js';

/** Weave's ports: TCP+UDP 6783 for the control plane and sleeve, UDP 6784 for fastdp's VXLAN. */
export const WEAVE_PORT = 6783;
export const FASTDP_PORT = 6784;

/** What the report alone cannot say and the driver adds: router log lines, when each pending connection was first seen. */
export interface Context {
  /** Recent lines of the router container's log (newest last). */
  log: readonly string[];
  /** Address -> when it was first seen pending, to say for how long. */
  pendingSince: ReadonlyMap<string, number>;
  now: number;
}

interface Info {
  encrypted: boolean | undefined;
  overlay: string | undefined;
  name: string | undefined;
  nick: string | undefined;
}

/** "[encrypted|unencrypted] fastdp|sleeve NAME(NICK)", mesh's LocalConnectionStatus.Info for a connection. */
export function parseInfo(info: string): Info {
  const m = /^(?:(encrypted|unencrypted)\s+)?(fastdp|sleeve|none)\s+([0-9a-f:]+)\((.*)\)\s*$/.exec(
    info.trim(),
  );
  if (!m) return { encrypted: undefined, overlay: undefined, name: undefined, nick: undefined };
  return {
    encrypted: m[1] === undefined ? undefined : m[1] === 'encrypted',
    overlay: m[2],
    name: m[3],
    nick: m[4],
  };
}

const STATES = ['established', 'pending', 'retrying', 'failed', 'connecting'] as const;
type State = (typeof STATES)[number];

/** One of this router's connections or connection targets, with the transport and the reason in words. */
export function connectionStatus(c: WeaveConnection, report: WeaveReport, ctx: Context): ConnectionStatus {
  const info = parseInfo(c.Info);
  const peer = info.nick ? `${info.nick} (${info.name})` : c.Address;
  const dir = c.Outbound ? 'to' : 'from';
  const state: State = (STATES as readonly string[]).includes(c.State)
    ? (c.State as State)
    : c.State === 'waiting'
      ? 'retrying'
      : 'failed';
  const base = { target: c.Address };
  const encrypted = info.encrypted ?? (report.Router.Encryption ? undefined : false);
  const transport = c.Attrs.name ?? info.overlay;
  const extra = {
    ...(transport && transport !== 'none' ? { transport } : {}),
    ...(encrypted !== undefined ? { encrypted } : {}),
  };

  switch (state) {
    case 'established': {
      const how = transport === 'sleeve' ? whySleeve(report, info, ctx) : fastdpWords(c);
      return {
        ...base,
        state,
        error: null,
        ...extra,
        reason: [`${dir} ${peer}: ${how}`, encryptionWords(report, info, transport)]
          .filter(Boolean)
          .join('; '),
      };
    }
    case 'pending': {
      const since = ctx.pendingSince.get(c.Address);
      const secs = since !== undefined ? Math.round((ctx.now - since) / 1000) : undefined;
      return {
        ...base,
        state,
        error: null,
        ...extra,
        reason:
          `TCP ${dir} ${peer} is up (handshake done) but no heartbeat has come back over UDP` +
          `${secs ? ` for ${secs} s` : ' yet'}: UDP ${WEAVE_PORT} (sleeve) and ${FASTDP_PORT} (fastdp) must pass ` +
          'both ways between the two hosts (a firewall that lets TCP through and drops UDP does exactly this)',
      };
    }
    case 'failed': {
      const [error, retry] = splitRetry(c.Info);
      return {
        ...base,
        state,
        error,
        ...extra,
        reason: `${explainError(error, c.Address)}${retry && retry !== 'never' ? `; next try ${retry}` : retry === 'never' ? '; Weave will not retry' : ''}`,
      };
    }
    case 'retrying':
      return {
        ...base,
        state,
        error: c.Info || null,
        ...extra,
        reason: c.Info ? `${explainError(c.Info, c.Address)}; trying again now` : 'trying again now',
      };
    case 'connecting':
      return { ...base, state, error: null, ...extra, reason: 'first attempt under way' };
  }
}

function fastdpWords(c: WeaveConnection): string {
  const mtu = c.Attrs.mtu ? `, mtu ${c.Attrs.mtu}` : '';
  return `fastdp: the kernel carries the packets (VXLAN on UDP ${FASTDP_PORT}${mtu})`;
}

/** Why a connection runs on sleeve rather than fastdp: the question `weave status connections` never answers. */
export function whySleeve(report: WeaveReport, info: Info, ctx: Context): string {
  const slow = `packets go through both router processes over UDP ${WEAVE_PORT}`;
  const diag = report.Router.OverlayDiagnostics;
  if (!diag || !('fastdp' in diag))
    return (
      `sleeve, because this router has no fast datapath (the openvswitch kernel module is missing, or ` +
      `WEAVE_NO_FASTDP is set), so ${slow}`
    );
  const about = ctx.log.filter(
    (l) =>
      /fastdp/.test(l) &&
      ((info.name && l.includes(info.name)) || (info.nick && l.includes(`(${info.nick})`))),
  );
  const last = about.at(-1);
  const who = info.nick ?? info.name ?? 'the peer';
  if (last && /timed out waiting for vxlan heartbeat/.test(last))
    return (
      `sleeve, because fastdp's VXLAN heartbeats to ${who} on UDP ${FASTDP_PORT} went unanswered ` +
      `(something between the hosts drops UDP ${FASTDP_PORT}), so Weave fell back and ${slow}`
    );
  const unable = last && /Unable to use fastdp for connection to \S*?\([^)]*\): (.*)$/.exec(last);
  if (unable) return `sleeve, because fastdp could not be set up for ${who}: ${unable[1]}; ${slow}`;
  if (last)
    return `sleeve after fastdp failed (router log: "${last.replace(/^\S+: \S+ \S+ /, '')}"); ${slow}`;
  return (
    `sleeve, because ${who} offers no fast datapath (its router runs without one: no openvswitch module ` +
    `there, or WEAVE_NO_FASTDP), so the two agreed on sleeve and ${slow}`
  );
}

function encryptionWords(report: WeaveReport, info: Info, transport: string | undefined): string {
  if (!report.Router.Encryption) return 'not encrypted (no password set)';
  if (info.encrypted === false)
    return `not encrypted: the peer's address is in --trusted-subnets (${report.Router.TrustedSubnets.join(', ') || 'none'})`;
  if (info.encrypted)
    return transport === 'fastdp' ? 'encrypted (IPsec ESP)' : 'encrypted (NaCl, in the router)';
  return '';
}

/** "dial tcp ...: connection refused, retry: 2026-11-25 08:51:12 +0000 UTC" -> [error, retry]. */
function splitRetry(info: string): [string, string | undefined] {
  const i = info.lastIndexOf(', retry: ');
  if (i < 0) return [info, undefined];
  const when = info.slice(i + ', retry: '.length).replace(/ m=\+.*$/, '');
  return [info.slice(0, i), when];
}

/** Weave's (Go's) connection errors in the operator's words. */
export function explainError(error: string, address: string): string {
  const host = address.split(':')[0];
  if (/connection refused/.test(error))
    return `nothing listens on ${host}:${WEAVE_PORT}/tcp: is Weave launched there? (${error})`;
  if (/no route to host|network is unreachable/.test(error))
    return `${host} cannot be reached from here: no route (${error})`;
  if (/i\/o timeout|timed out/.test(error))
    return `${host} does not answer on ${WEAVE_PORT}/tcp: down, or a firewall drops it (${error})`;
  if (/password|encrypt|decrypt|authenticat/i.test(error))
    return `the peer uses a different password, or none: give both the same --password-file (${error})`;
  if (/cannot connect to ourself/.test(error)) return `${address} is this host itself (${error})`;
  if (/protocol version|incompatible/i.test(error))
    return `the peer runs an incompatible Weave version (${error})`;
  if (/no such host|lookup/.test(error)) return `${host} does not resolve (${error})`;
  return error;
}

/** Peers Weave knows by gossip, with what this host's direct connection (if any) says of the data plane. */
export function peerStatuses(report: WeaveReport, ctx: Context): PeerStatus[] {
  const r = report.Router;
  const direct = new Map<string, WeaveConnection>();
  for (const c of r.Connections) {
    const name = parseInfo(c.Info).name;
    if (name && (c.State === 'established' || !direct.has(name))) direct.set(name, c);
  }
  const seenAt = new Map<string, string>();
  for (const p of r.Peers)
    for (const c of p.Connections) if (!seenAt.has(c.Name)) seenAt.set(c.Name, c.Address.split(':')[0] ?? '');
  return r.Peers.map((p): PeerStatus => {
    const self = p.Name === r.Name;
    const c = direct.get(p.Name);
    const address = (c?.Address ?? '').split(':')[0] || seenAt.get(p.Name) || '';
    const dataPlane: PeerStatus['dataPlane'] = self
      ? { state: 'reachable', rttMs: 0, detail: 'this host', checkedAt: null }
      : !c
        ? {
            state: 'unknown',
            rttMs: null,
            detail: 'no direct connection from this host; reached through other peers',
            checkedAt: null,
          }
        : c.State === 'established'
          ? {
              state: 'reachable',
              rttMs: null,
              detail: connectionStatus(c, report, ctx).reason ?? null,
              checkedAt: null,
            }
          : {
              state: 'unreachable',
              rttMs: null,
              detail: connectionStatus(c, report, ctx).reason ?? null,
              checkedAt: null,
            };
    return {
      name: p.Name,
      nickname: p.NickName,
      address,
      gossip: 'alive',
      dataPlane,
      self,
      probeAddress: probeAddressOf(p.Name, self),
    };
  });
}

/**
 * A peer's probe address: Weave names a router by its bridge's MAC (weaver gives the bridge the peer name as its
 * MAC), so the peer's weave bridge has the EUI-64 link-local of its name. Null for self or a name that is no MAC.
 */
export function probeAddressOf(name: string, self: boolean): string | null {
  return !self && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(name) ? linkLocalOfMac(name) : null;
}

/** IPAM as `weave status ipam` summarises it: who owns how much of the range, and whether it is ready. */
export function ipamStatus(ipam: WeaveIpam): IpamStatus {
  const owners = new Map<string, { peer: string; nickname: string; ips: number; reachable: boolean }>();
  for (const e of ipam.Entries) {
    const o = owners.get(e.Peer) ?? { peer: e.Peer, nickname: e.Nickname, ips: 0, reachable: e.IsKnownPeer };
    o.ips += e.Size;
    owners.set(e.Peer, o);
  }
  const status =
    ipam.Entries.length > 0
      ? ipam.Entries.every((e) => e.Size === 0 || !e.IsKnownPeer)
        ? 'all address ranges are owned by unreachable peers (`weave rmpeer` them if they are gone)'
        : ipam.PendingAllocates.length > 0
          ? 'waiting for addresses to become available'
          : 'ready'
      : ipam.Paxos
        ? ipam.Paxos.Elector
          ? `awaiting consensus (quorum ${ipam.Paxos.Quorum}, known ${ipam.Paxos.KnownNodes})`
          : 'priming'
        : 'idle (no consensus yet: it starts with the first claim or allocation)';
  return {
    range: ipam.Range,
    defaultSubnet: ipam.DefaultSubnet,
    size: ipam.RangeNumIPs,
    active: ipam.ActiveIPs,
    status,
    owners: [...owners.values()],
  };
}
