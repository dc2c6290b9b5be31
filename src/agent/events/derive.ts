import type { HealthEventKind, HealthLevel } from '../../api/events.js';
import { mtuAdvice } from '../../router/mtu-advice.js';
import { describeDriver } from '../../router/descriptions.js';
import type { DriverName } from '../../api/router-status.js';

/**
 * Health events from two successive looks at this host; pure. A thing first seen (or seen again after the
 * agent restarted) in a good or unknown state says nothing: only a change to bad, or from bad back to good,
 * is news. So an agent start with a peer already unreachable reports it once, and a quiet mesh reports nothing.
 */

export interface PeerHealth {
  address: string;
  nickname: string;
  gossip: 'alive' | 'leaving' | 'left' | 'failed' | 'none';
  dataPlane: 'reachable' | 'unreachable' | 'mtu-too-small' | 'unknown';
  /** The data plane's own words (largest payload that crossed...). */
  detail: string | null;
}

export interface CheckHealth {
  id: string;
  label: string;
  state: 'up' | 'degraded' | 'down' | 'pending' | 'unknown';
  lossPct: number;
  error: string | null;
}

export interface MtuHealth {
  peer: string;
  nickname: string | null;
  state: 'ok' | 'mismatch' | 'unreachable' | 'pending';
  pathMtu: number | null;
  suggestedMtu: number | null;
}

export interface AttachmentHealth {
  container: string;
  state: 'attached' | 'container-stopped' | 'drift';
  /** Addresses asked for, and those the kernel has. */
  cidrs: string[];
  live: string[];
}

export interface HealthSnapshot {
  peers: PeerHealth[];
  checks: CheckHealth[];
  mtu: MtuHealth[];
  /** Telemetry's kernel counters: failed or stale with the reason, or not. */
  counters: { failed: boolean; reason: string | null };
  docker: { reachable: boolean; error: string | null };
  /** Absent when this look did not read attachments (they are read less often). */
  attachments?: AttachmentHealth[];
  /** The driver and its bridge MTU, for the advice on MTU trouble (each driver fixes it its own way). */
  driver: DriverName | null;
  bridgeMtu: number | null;
  /** Addresses two hosts claim (the mesh-wide table), each with its words; absent where the router has no table. */
  clashes?: ClashHealth[];
}

export interface ClashHealth {
  address: string;
  /** Who keeps it and who is flagged, in words. */
  text: string;
}

export interface EventDraft {
  level: HealthLevel;
  kind: HealthEventKind;
  subject: string;
  text: string;
}

const peerName = (p: { nickname: string | null; address: string }): string =>
  p.nickname ? `peer ${p.nickname} (${p.address})` : `peer ${p.address}`;

function byKey<T>(list: readonly T[] | undefined, key: (t: T) => string): Map<string, T> {
  return new Map((list ?? []).map((t) => [key(t), t]));
}

function peerEvents(prev: PeerHealth | undefined, p: PeerHealth): EventDraft[] {
  const out: EventDraft[] = [];
  const who = peerName(p);
  if (p.gossip !== prev?.gossip) {
    if (p.gossip === 'failed')
      out.push({
        level: 'error',
        kind: 'peer_failed',
        subject: p.address,
        text: `${who} failed in gossip: it answers no membership probes`,
      });
    else if (p.gossip === 'alive' && prev?.gossip === 'failed')
      out.push({
        level: 'ok',
        kind: 'peer_alive',
        subject: p.address,
        text: `${who} is alive in gossip again`,
      });
  }
  // A peer failed in gossip is unreachable too: one event says it.
  if (p.dataPlane !== prev?.dataPlane && p.gossip !== 'failed') {
    const was = prev?.dataPlane;
    if (p.dataPlane === 'unreachable')
      out.push({
        level: 'error',
        kind: 'peer_unreachable',
        subject: p.address,
        text: `${who} unreachable over VXLAN${p.gossip === 'alive' ? ' while alive in gossip (UDP 4789 blocked?)' : ''}`,
      });
    else if (p.dataPlane === 'mtu-too-small')
      out.push({
        level: 'error',
        kind: 'mtu_too_small',
        subject: p.address,
        text: `${who}: full-size packets do not cross${p.detail ? ` (${p.detail})` : ''}`,
      });
    else if (p.dataPlane === 'reachable' && (was === 'unreachable' || was === 'mtu-too-small'))
      out.push({ level: 'ok', kind: 'peer_reachable', subject: p.address, text: `${who} reachable again` });
  }
  return out;
}

function checkEvents(prev: CheckHealth | undefined, c: CheckHealth): EventDraft[] {
  if (c.state === prev?.state) return [];
  if (c.state === 'down')
    return [
      {
        level: 'error',
        kind: 'check_down',
        subject: c.id,
        text: `check ${c.label} down${c.error ? `: ${c.error}` : ''}`,
      },
    ];
  if (c.state === 'degraded' && prev?.state === 'up')
    return [
      {
        level: 'warn',
        kind: 'check_degraded',
        subject: c.id,
        text: `check ${c.label} losing ${c.lossPct} %`,
      },
    ];
  if (c.state === 'up' && (prev?.state === 'down' || prev?.state === 'degraded'))
    return [{ level: 'ok', kind: 'check_up', subject: c.id, text: `check ${c.label} up again` }];
  return [];
}

function mtuEvents(
  prev: MtuHealth | undefined,
  m: MtuHealth,
  driver: DriverName | null,
  bridgeMtu: number | null,
): EventDraft[] {
  if (m.state === prev?.state) return [];
  const who = peerName({ nickname: m.nickname, address: m.peer });
  if (m.state === 'mismatch') {
    const advice =
      m.suggestedMtu !== null && driver
        ? mtuAdvice(describeDriver(driver), { fits: m.suggestedMtu, bridgeMtu })
        : '';
    return [
      {
        level: 'error',
        kind: 'mtu_too_small',
        subject: m.peer,
        text: `path MTU to ${who} is ${m.pathMtu ?? '?'}${advice ? `; ${advice}` : ''}`,
      },
    ];
  }
  if (m.state === 'ok' && prev?.state === 'mismatch')
    return [{ level: 'ok', kind: 'mtu_ok', subject: m.peer, text: `path MTU to ${who} fits again` }];
  return [];
}

function attachmentEvents(prev: AttachmentHealth | undefined, a: AttachmentHealth): EventDraft[] {
  if (a.state === prev?.state) return [];
  if (a.state === 'drift') {
    const missing = a.cidrs.filter((c) => !a.live.includes(c));
    return [
      {
        level: 'error',
        kind: 'drift',
        subject: a.container,
        text: `drift: ${a.container} lacks ${missing.join(', ') || 'its addresses'}${a.live.length ? ` (has ${a.live.join(', ')})` : ''}; re-attach repairs it`,
      },
    ];
  }
  if (a.state === 'attached' && prev?.state === 'drift')
    return [
      {
        level: 'ok',
        kind: 'drift_repaired',
        subject: a.container,
        text: `${a.container} has its addresses again`,
      },
    ];
  return [];
}

function clashEvents(prev: readonly ClashHealth[] | undefined, next: readonly ClashHealth[]): EventDraft[] {
  const before = byKey(prev, (c) => c.address);
  const now = byKey(next, (c) => c.address);
  const out: EventDraft[] = [];
  for (const c of next)
    if (before.get(c.address)?.text !== c.text)
      out.push({
        level: 'warn',
        kind: 'address_clash',
        subject: c.address,
        text: `address clash: ${c.text}`,
      });
  for (const c of prev ?? [])
    if (!now.has(c.address))
      out.push({
        level: 'ok',
        kind: 'address_clash_resolved',
        subject: c.address,
        text: `${c.address} is held by one host again`,
      });
  return out;
}

export function deriveEvents(prev: HealthSnapshot | undefined, next: HealthSnapshot): EventDraft[] {
  const out: EventDraft[] = [];
  out.push(...clashEvents(prev?.clashes, next.clashes ?? []));
  const peers = byKey(prev?.peers, (p) => p.address);
  for (const p of next.peers) out.push(...peerEvents(peers.get(p.address), p));
  const mtu = byKey(prev?.mtu, (m) => m.peer);
  // The data plane's own full-size probe says mtu-too-small first; the path MTU probe adds the number to set.
  for (const m of next.mtu) out.push(...mtuEvents(mtu.get(m.peer), m, next.driver, next.bridgeMtu));
  const checks = byKey(prev?.checks, (c) => c.id);
  for (const c of next.checks) out.push(...checkEvents(checks.get(c.id), c));
  if (next.counters.failed && !prev?.counters.failed)
    out.push({
      level: 'error',
      kind: 'telemetry_failed',
      subject: 'telemetry',
      text: `telemetry: counters failed${next.counters.reason ? `: ${next.counters.reason}` : ''}`,
    });
  else if (!next.counters.failed && prev?.counters.failed)
    out.push({
      level: 'ok',
      kind: 'telemetry_ok',
      subject: 'telemetry',
      text: 'telemetry: counters read again',
    });
  if (!next.docker.reachable && (prev === undefined || prev.docker.reachable))
    out.push({
      level: 'error',
      kind: 'dockerd_unreachable',
      subject: 'dockerd',
      text: `dockerd unreachable${next.docker.error ? `: ${next.docker.error}` : ''}`,
    });
  else if (next.docker.reachable && prev && !prev.docker.reachable)
    out.push({ level: 'ok', kind: 'dockerd_reachable', subject: 'dockerd', text: 'dockerd answers again' });
  if (next.attachments) {
    const before = byKey(prev?.attachments, (a) => a.container);
    for (const a of next.attachments) out.push(...attachmentEvents(before.get(a.container), a));
  }
  return out;
}

/** Carries the last attachments read into a look that did not read them, so a skipped read is no change. */
export function carryAttachments(prev: HealthSnapshot | undefined, next: HealthSnapshot): HealthSnapshot {
  return next.attachments || !prev?.attachments ? next : { ...next, attachments: prev.attachments };
}
