import { z } from 'zod';
import { ContainerRef } from './container-ref.js';

/**
 * Live telemetry: packet rates counted by the kernel on the overlay, ping checks, path MTU per peer.
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
 * One second of traffic: counts in that second, so packets/s and bytes/s.
 * rx/tx are from the endpoint's side (a container's rx is what was delivered to it; a peer's rx is what came
 * from it). `protocols` is both directions together; for a peer it is the protocol inside the VXLAN frame.
 */
export const RateSample = z.object({
  /** Start of the second, ms since the epoch (agent clock). */
  t: z.number(),
  rx: Count,
  tx: Count,
  protocols: ProtocolCounts,
  /** GSO segments in rx and tx (a GSO packet is one packet of many segments); eBPF counters only. */
  segments: z.object({ rx: z.number(), tx: z.number() }).optional(),
});
export type RateSample = z.infer<typeof RateSample>;

/**
 * A container attached on this host, counted on its host-side veth (frames from it: tx; to it: rx); under the
 * bridge driver every container on the LAN bridge, dockerd's own too (the sum of its ports).
 */
export const ContainerRates = z.object({
  container: z.string(),
  containerId: z.string(),
  mac: z.string(),
  addresses: z.array(z.string()),
  series: z.array(RateSample),
});
export type ContainerRates = z.infer<typeof ContainerRates>;

/**
 * A peer. ebpf (vxlan): counted on the underlay by its tunnel's outer address, bytes are whole outer frames,
 * the protocol split is the inner frame's; ebpf (bridge): counted on this host's containers' ports by the
 * other end's LAN address in the peer's slice or its own address, plain frames (no tunnel). counters (ovs-gre): its GRE port's own counters read each second, no
 * protocol split (zeros). none (weave, or no eBPF): no per-peer figures, the series is empty.
 */
export const PeerRates = z.object({
  /** The peer's underlay address. */
  address: z.string(),
  nickname: z.string().nullable(),
  /** Added after the first cut: optional. */
  source: z.enum(['ebpf', 'counters', 'none']).optional(),
  series: z.array(RateSample),
});
export type PeerRates = z.infer<typeof PeerRates>;

/**
 * Where the figures come from. ebpf: counters on tc hooks (every container's host-side veth, the tunnel's
 * UDP port on the underlay), exact, with the protocol split. interface-counters: the kernel's own counters
 * of each veth (exact totals, no protocol split, no per-peer figures), where BPF cannot load. none: nothing
 * counts (the router is not running).
 */
export const CounterSource = z.enum(['ebpf', 'interface-counters', 'none']);
export type CounterSource = z.infer<typeof CounterSource>;

export const CounterHook = z.object({
  name: z.string(),
  role: z.enum(['container', 'underlay']),
  ifindex: z.number(),
  /** What is counted there, in words. */
  what: z.string(),
});

/** The counter reader: running, or stopped/failed/stale with why and the age of its last good read. */
export const CountersStatus = z.object({
  source: CounterSource,
  state: z.enum(['running', 'stopped', 'failed', 'stale']),
  reason: z.string().nullable(),
  since: z.string().nullable(),
  /** The last good read (ms since the epoch) and its age when this answer was built. */
  lastReadAt: z.number().nullable(),
  ageMs: z.number().nullable(),
  /** How long that read took (bpftool map dump, or ip -s link). */
  readMs: z.number().nullable(),
  hooks: z.array(CounterHook),
});
export type CountersStatus = z.infer<typeof CountersStatus>;

/**
 * Under a driver that counts its bridge's ports by the LAN address (bridge): what this host's containers
 * exchanged with other than a member. this-host: this host's own address and slice (its containers among
 * themselves count on both ports); gateway: the default gateway and everything routed beyond it; lan: the rest
 * of the LAN (broadcast and multicast too); other: not IPv4.
 */
export const OtherRates = z.object({
  kind: z.enum(['this-host', 'gateway', 'lan', 'other']),
  label: z.string(),
  /** The gateway's or this host's address, the LAN's CIDR; null for other. */
  address: z.string().nullable(),
  series: z.array(RateSample),
});
export type OtherRates = z.infer<typeof OtherRates>;

export const RatesResult = z.object({
  /** When this answer was built (ms since the epoch, agent clock). */
  at: z.number(),
  /** Where the figures come from; the same as counters.source. */
  source: CounterSource,
  counters: CountersStatus,
  /** How many seconds of history the agent keeps (series are at most this long, oldest first). */
  historySeconds: z.number(),
  /** This host's containers together (the sum of their veths): rx delivered to them, tx sent by them. */
  bridge: z.array(RateSample),
  containers: z.array(ContainerRates),
  peers: z.array(PeerRates),
  /** Traffic with non-members, where the driver tells peers apart by LAN address. Added later: optional. */
  others: z.array(OtherRates).optional(),
  /** The agent's own event-loop delay per second (perf_hooks), to show reading never stalls it. Added after the first cut: optional. */
  eventLoopDelay: z.array(z.object({ t: z.number(), p99Ms: z.number(), maxMs: z.number() })).optional(),
});
export type RatesResult = z.infer<typeof RatesResult>;

/**
 * up: answering; degraded: losing some; down: the last probes all lost; pending: no probe yet; unknown: no
 * probe for a while (the source container stopped or lost its overlay interface, fping cannot run): a state
 * is only ever drawn from current samples.
 */
export const PingState = z.enum(['up', 'degraded', 'down', 'pending', 'unknown']);
export type PingState = z.infer<typeof PingState>;

export const PingProbe = z.object({
  /** When the probe was answered or given up on, ms since the epoch. */
  t: z.number(),
  rttMs: z.number().nullable(),
});
export type PingProbe = z.infer<typeof PingProbe>;

/** Probes over the last seconds: sent (answered or timed out), answered, loss in percent, round trips. */
export const PingWindow = z.object({
  seconds: z.number(),
  sent: z.number(),
  received: z.number(),
  lossPct: z.number(),
  rttMs: z.object({ min: z.number(), avg: z.number(), max: z.number() }).nullable(),
});

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
  window: PingWindow,
  /** The probes of the last minute, oldest first. */
  history: z.array(PingProbe),
  /** Why the check cannot run (container stopped, fping failed), if it cannot. */
  error: z.string().nullable(),
  /**
   * Why it is down when that is more than lost probes: full-size packets do not cross while small ones do,
   * with the overlay MTU to set. Added after the first cut: optional.
   */
  why: z.string().nullable().optional(),
  /**
   * Automatic peer checks: the full-size probes (don't-fragment, `packetBytes` = the overlay MTU) beside the
   * small ones, and the overlay MTU to set from the path MTU probe when they fail. Added later: optional.
   */
  fullSize: z
    .object({
      packetBytes: z.number(),
      state: PingState,
      window: PingWindow,
      mtuToSet: z.number().nullable(),
    })
    .nullable()
    .optional(),
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
const from = ContainerRef;

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
  /**
   * Frames on one port, on demand: an attached container's host-side veth, or a peer's tunnel packets on the
   * underlay; a kernel filter, never promiscuous; up to `count` frames or `seconds`, optionally written to a
   * pcap file (`write`, an absolute path on the agent's host).
   */
  capture: {
    params: z
      .object({
        container: z.string().min(1).max(128).optional(),
        peer: z.string().min(1).max(128).optional(),
        filter: z.string().max(512).optional(),
        count: z.number().int().min(1).max(10_000).optional(),
        seconds: z.number().int().min(1).max(300).optional(),
        write: z.string().min(1).max(4096).optional(),
      })
      .strict()
      .refine((p) => (p.container === undefined) !== (p.peer === undefined), {
        message: 'give a container or a peer, not both',
        path: ['container'],
      }),
    result: z.object({
      target: z.string(),
      interface: z.string(),
      /** The kernel filter as given to libpcap (ours for a peer, and the operator's). */
      filter: z.string(),
      promiscuous: z.boolean(),
      captured: z.number(),
      /** libpcap's counters: packets the filter passed, and dropped in the buffer. */
      received: z.number(),
      dropped: z.number(),
      written: z.string().nullable(),
      packets: z.array(z.object({ t: z.number(), len: z.number(), summary: z.string() })),
    }),
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
