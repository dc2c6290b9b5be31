import { z } from 'zod';

/**
 * Live telemetry: packet rates captured on the overlay, ping checks, path MTU per peer.
 * What the `status rates|pings` commands print and what the TUI's Traffic and Ping panes draw.
 */

export const Protocol = z.enum(['tcp', 'udp', 'icmp', 'arp', 'other']);
export type Protocol = z.infer<typeof Protocol>;

export const Count = z.object({ packets: z.number(), bytes: z.number() });
export type Count = z.infer<typeof Count>;

export const ProtocolCounts = z.object({
  tcp: Count,
  udp: Count,
  icmp: Count,
  arp: Count,
  other: Count,
});
export type ProtocolCounts = z.infer<typeof ProtocolCounts>;

/**
 * One second of captured traffic: counts in that second, so packets/s and bytes/s.
 * rx/tx are from the endpoint's side (a container's rx is what was delivered to it; a peer's rx is what came
 * from it). `protocols` is both directions together; for a peer it is the protocol inside the VXLAN frame.
 */
export const RateSample = z.object({
  /** Start of the second, ms since the epoch (agent clock). */
  t: z.number(),
  rx: Count,
  tx: Count,
  protocols: ProtocolCounts,
});
export type RateSample = z.infer<typeof RateSample>;

/** A container attached on this host, counted on the bridge by its MAC (frames from it: tx; to it: rx). */
export const ContainerRates = z.object({
  container: z.string(),
  containerId: z.string(),
  mac: z.string(),
  addresses: z.array(z.string()),
  series: z.array(RateSample),
});
export type ContainerRates = z.infer<typeof ContainerRates>;

/**
 * A peer. capture (vxlan): counted on the underlay by its VXLAN outer address, bytes are whole outer frames.
 * counters (ovs-gre): its GRE port's own counters read each second, no protocol split (zeros). none (weave):
 * no per-peer figures, the series is empty.
 */
export const PeerRates = z.object({
  /** The peer's underlay address. */
  address: z.string(),
  nickname: z.string().nullable(),
  /** Added after the first cut: optional (absent means capture). */
  source: z.enum(['capture', 'counters', 'none']).optional(),
  series: z.array(RateSample),
});
export type PeerRates = z.infer<typeof PeerRates>;

/** Per second on one capture: what libpcap handed us, what the kernel's counters say should be there, drops. */
export const CaptureSample = z.object({
  t: z.number(),
  captured: Count,
  /** Expected from the kernel's interface counters over the same second (see `kernelSource`); null if unread. */
  kernel: Count.nullable(),
  /** Packets libpcap dropped in that second (its ps_drop + ps_ifdrop deltas). */
  dropped: z.number(),
});
export type CaptureSample = z.infer<typeof CaptureSample>;

export const CaptureInterface = z.object({
  /** `xnet` (the bridge) or the underlay device, e.g. `eth0`. */
  name: z.string(),
  role: z.enum(['bridge', 'underlay']),
  /** The BPF filter the kernel applies before we see a packet. */
  filter: z.string(),
  promiscuous: z.boolean(),
  state: z.enum(['capturing', 'stopped', 'failed']),
  error: z.string().nullable(),
  /** libpcap's counters since this capture started: packets received by the filter, dropped in the buffer, by the interface. */
  stats: z.object({ received: z.number(), dropped: z.number(), ifDropped: z.number() }),
  /** Which kernel counters `kernel` is built from, in words. */
  kernelSource: z.string(),
  series: z.array(CaptureSample),
});
export type CaptureInterface = z.infer<typeof CaptureInterface>;

export const CaptureState = z.enum(['running', 'stopped', 'failed']);

export const RatesResult = z.object({
  /** When this answer was built (ms since the epoch, agent clock). */
  at: z.number(),
  capture: z.object({
    state: CaptureState,
    /** Why capture is stopped or failed, in words. */
    reason: z.string().nullable(),
    since: z.string().nullable(),
  }),
  /** How many seconds of history the agent keeps (series are at most this long, oldest first). */
  historySeconds: z.number(),
  interfaces: z.array(CaptureInterface),
  /** Everything captured on the bridge, by direction into/out of this host's containers, by protocol. */
  bridge: z.array(RateSample),
  containers: z.array(ContainerRates),
  peers: z.array(PeerRates),
  /** The agent's own event-loop delay per second (perf_hooks), to show capture never stalls it. Added after the first cut: optional. */
  eventLoopDelay: z.array(z.object({ t: z.number(), p99Ms: z.number(), maxMs: z.number() })).optional(),
});
export type RatesResult = z.infer<typeof RatesResult>;

/** up: answering; degraded: losing some; down: the last probes all lost; pending: no answer or loss yet. */
export const PingState = z.enum(['up', 'degraded', 'down', 'pending']);
export type PingState = z.infer<typeof PingState>;

export const PingProbe = z.object({
  /** When the probe was answered or given up on, ms since the epoch. */
  t: z.number(),
  rttMs: z.number().nullable(),
});
export type PingProbe = z.infer<typeof PingProbe>;

export const PingCheck = z.object({
  /** Stable: `u-...` for user checks (kept in the state file), `a-...` for automatic ones. */
  id: z.string(),
  kind: z.enum(['user', 'auto']),
  /** Container name the probes leave from; null for the host itself. */
  from: z.string().nullable(),
  target: z.string(),
  /** For automatic checks: the peer's VTEP address the target belongs to. */
  peer: z.string().nullable(),
  /** How to show it, e.g. `web -> 172.25.11.24` or `web -> peer two (198.18.0.2)`. */
  label: z.string(),
  state: PingState,
  /** When `state` last changed (ISO 8601). */
  since: z.string(),
  lastRttMs: z.number().nullable(),
  /** Over the window: probes sent (answered or timed out), answered, loss in percent. */
  window: z.object({
    seconds: z.number(),
    sent: z.number(),
    received: z.number(),
    lossPct: z.number(),
    rttMs: z.object({ min: z.number(), avg: z.number(), max: z.number() }).nullable(),
  }),
  /** The probes of the last minute, oldest first. */
  history: z.array(PingProbe),
  /** Why the check cannot run (container stopped, fping failed), if it cannot. */
  error: z.string().nullable(),
});
export type PingCheck = z.infer<typeof PingCheck>;

export const PingEvent = z.object({
  at: z.string(),
  checkId: z.string(),
  label: z.string(),
  from: PingState,
  to: PingState,
  lossPct: z.number(),
  detail: z.string(),
});
export type PingEvent = z.infer<typeof PingEvent>;

export const PingResult = z.object({
  target: z.string(),
  sent: z.number(),
  received: z.number(),
  lossPct: z.number(),
  rttMs: z.object({ min: z.number(), avg: z.number(), max: z.number() }).nullable(),
  /** Each probe's RTT in order; null for a lost one. */
  rtts: z.array(z.number().nullable()),
});
export type PingResult = z.infer<typeof PingResult>;

export const PmtuPeer = z.object({
  peer: z.string(),
  nickname: z.string().nullable(),
  /** The peer's bridge link-local address the probes are sent to (they cross the overlay). */
  probeAddress: z.string().nullable(),
  /** Largest IP packet with don't-fragment set that crossed the overlay to this peer; null if none did. */
  pathMtu: z.number().nullable(),
  /** ok: pathMtu equals the bridge MTU; mismatch: smaller (set `suggestedMtu`); unreachable: nothing crossed. */
  state: z.enum(['ok', 'mismatch', 'unreachable', 'pending']),
  /** The bridge (and container) MTU that would fit this path, when it does not. */
  suggestedMtu: z.number().nullable(),
  detail: z.string().nullable(),
  checkedAt: z.string().nullable(),
});
export type PmtuPeer = z.infer<typeof PmtuPeer>;

const target = z.string().min(1).max(64);
const from = z.string().min(1).max(128);

export const telemetryApi = {
  rates: {
    params: z.object({ seconds: z.number().int().min(1).max(60).optional() }).strict(),
    result: RatesResult,
  },
  pings: {
    params: z.object({}).strict(),
    result: z.object({
      intervalMs: z.number(),
      checks: z.array(PingCheck),
      /** State changes, newest last (the last 100). */
      events: z.array(PingEvent),
    }),
  },
  'pings.add': {
    params: z.object({ target, from: from.optional() }).strict(),
    result: z.object({ check: PingCheck, created: z.boolean() }),
  },
  'pings.remove': {
    params: z.object({ id: z.string().min(1) }).strict(),
    result: z.object({ removed: z.boolean() }),
  },
  /** A one-off check: `count` probes to each target, answered when they are done. */
  ping: {
    params: z
      .object({
        targets: z.array(target).min(1).max(64),
        from: from.optional(),
        count: z.number().int().min(1).max(1000).optional(),
        intervalMs: z.number().int().min(10).max(10_000).optional(),
      })
      .strict(),
    result: z.object({ from: z.string().nullable(), results: z.array(PingResult) }),
  },
  pmtu: {
    params: z.object({}).strict(),
    result: z.object({
      bridgeMtu: z.number().nullable(),
      intervalMs: z.number(),
      peers: z.array(PmtuPeer),
    }),
  },
} as const;
