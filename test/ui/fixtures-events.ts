import type { HealthEvent } from '../../src/api/events.js';
import type { PmtuPeer } from '../../src/api/telemetry.js';
import type { UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { NOW } from './fixtures.js';
import { verdicts } from '../../src/doctor/verdicts.js';

/** Health events as the agent would hand them out: the drafts' words, times a few seconds apart. */
export const healthEvents: HealthEvent[] = [
  [
    'warn',
    'dockerd_restarted',
    'dockerd',
    'dockerd restarted (its event stream came back); attachments re-applied',
  ],
  ['error', 'drift', 'web', 'drift: web lacks 172.25.11.23/24; re-attach repairs it'],
  ['ok', 'drift_repaired', 'web', 'web has its addresses again'],
  ['error', 'check_down', 'a-1', 'check web -> peer two (198.18.0.2) down'],
  [
    'error',
    'peer_unreachable',
    '198.18.0.2',
    'peer two (198.18.0.2) unreachable over VXLAN while alive in gossip (UDP 4789 blocked?)',
  ],
  ['ok', 'peer_reachable', '198.18.0.2', 'peer two (198.18.0.2) reachable again'],
  ['ok', 'check_up', 'a-1', 'check web -> peer two (198.18.0.2) up again'],
  [
    'error',
    'mtu_too_small',
    '198.18.0.3',
    'path MTU to peer three (198.18.0.3) is 1354; set the overlay MTU to 1304: xnet-tui launch --mtu 1304, or raise the underlay MTU to 1500',
  ],
  ['error', 'telemetry_failed', 'telemetry', 'telemetry: capture failed: eth0: permission denied'],
  [
    'error',
    'peer_unreachable',
    '198.18.0.2',
    'peer two (198.18.0.2) unreachable over VXLAN while alive in gossip (UDP 4789 blocked?)',
  ],
].map(([level, kind, subject, text], i) => ({
  seq: i + 1,
  at: new Date(NOW - (30 - i * 3) * 1000).toISOString(),
  level,
  kind,
  subject,
  text,
})) as HealthEvent[];

/** `s` after the agent handed out `events` (the whole list by default). */
export function withHealth(s: UIState, events = healthEvents): UIState {
  return reducer(s, { type: 'health', events, latest: events.at(-1)?.seq ?? 0 });
}

/** Three rounds of the same trouble (30 events): more than a screen holds, so the view scrolls. */
export const manyHealthEvents: HealthEvent[] = [0, 1, 2].flatMap((round) =>
  healthEvents.map((e) => ({
    ...e,
    seq: e.seq + round * healthEvents.length,
    at: new Date(Date.parse(e.at) + (round - 2) * 60_000).toISOString(),
  })),
);

/** The preflight's findings for a host with a firewall rule dropping VXLAN and live-restore off (real verdicts). */
export const doctorChecks = verdicts({
  modules: { vxlan: true },
  brNetfilter: 1,
  bpffs: true,
  tools: { clang: true, bpftool: true, tc: true, serf: true, fping: true, iptables: true },
  ports: [
    { port: 4789, proto: 'udp', bound: true },
    { port: 7946, proto: 'tcp', bound: true },
    { port: 7946, proto: 'udp', bound: true },
    { port: 7373, proto: 'tcp', bound: true },
    { port: 7947, proto: 'tcp', bound: true },
  ],
  driver: 'vxlan',
  drops: [{ port: 4789, proto: 'udp', rules: ['-A INPUT -p udp -m udp --dport 4789 -j DROP'] }],
  clocks: {
    asked: ['198.18.0.2', '198.18.0.3'],
    clocks: [
      { name: '198.18.0.2', nickname: 'two', offsetMs: 3, uncertaintyMs: 2 },
      { name: '198.18.0.3', nickname: 'three', offsetMs: 5210, uncertaintyMs: 3 },
    ],
  },
  routerRunning: true,
  underlay: { dev: 'eth0', mtu: 1500 },
  docker: { reachable: true, liveRestore: false, version: 'dockerd 20.10.24' },
});

/** Telemetry's path MTU answer: peer three's path carries 1354 (its underlay was lowered), two's is fine. */
export const pmtuPeers: PmtuPeer[] = [
  {
    peer: '198.18.0.2',
    nickname: 'two',
    probeAddress: 'fe80::2',
    pathMtu: 1450,
    state: 'ok',
    suggestedMtu: null,
    detail: null,
    checkedAt: new Date(NOW - 4_000).toISOString(),
  },
  {
    peer: '198.18.0.3',
    nickname: 'three',
    probeAddress: 'fe80::3',
    pathMtu: 1354,
    state: 'mismatch',
    suggestedMtu: 1354,
    detail: 'largest crossing 1354 of 1450',
    checkedAt: new Date(NOW - 4_000).toISOString(),
  },
];

export const withPmtu = (s: UIState): UIState => reducer(s, { type: 'pmtu', peers: pmtuPeers });

/** `s` with db drifted: the kernel lost 172.25.12.5/24 (the agent's ps says drift). */
export function withDrift(s: UIState): UIState {
  return reducer(s, {
    type: 'containers',
    containers: s.containers.map((c) =>
      c.name === 'db' && c.attachment
        ? { ...c, attachment: { ...c.attachment, state: 'drift' as const, live: ['172.25.11.24/24'] } }
        : c,
    ),
  });
}
