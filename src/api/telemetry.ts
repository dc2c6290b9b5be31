import { z } from 'zod';
import { ContainerRef } from './container-ref.js';
import { RatesResult } from './rates.js';

/**
 * Live telemetry: packet rates counted by the kernel on the overlay, ping checks, path MTU per peer.
 * What the `status rates|pings` commands print and what the TUI's Traffic and Ping panes draw.
 */

export * from './rates.js';

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
