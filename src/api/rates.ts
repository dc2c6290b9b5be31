import { z } from 'zod';

/**
 * Packet rates counted by the kernel on the overlay: the `rates` method's answer (the TUI's Traffic pane), and
 * what `status rates --json` prints of it (the last second per row; the series behind --series).
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

/** A row's last complete second; null while nothing has been counted for it (or nothing counts it). */
const LastSample = RateSample.nullable();

/**
 * What `status rates --json` prints: per container, peer and non-member (and the bridge) the last complete
 * second's figures, one row each, as the human table shows them. The minute of history per row (the `rates`
 * answer itself, what the TUI draws) comes with `--series`: 60 samples a row made it 9 MB at 200 containers.
 */
export const RatesNow = z.object({
  at: z.number(),
  source: CounterSource,
  counters: CountersStatus,
  bridge: LastSample,
  containers: z.array(ContainerRates.omit({ series: true }).extend({ last: LastSample })),
  peers: z.array(PeerRates.omit({ series: true }).extend({ last: LastSample })),
  others: z.array(OtherRates.omit({ series: true }).extend({ last: LastSample })).optional(),
});
export type RatesNow = z.infer<typeof RatesNow>;
