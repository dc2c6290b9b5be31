import { z } from 'zod';

/**
 * A live capture the TUI's capture view streams: opened on one port (an attached container's host-side veth, or
 * a peer's tunnel packets on the underlay) with a kernel filter, read in bounded frames while the view is open,
 * closed when it closes. The agent ends one that nobody reads for LEASE_MS (a TUI killed with the view open).
 */

/** Header lines the agent keeps per capture, and the most one read returns. */
export const MAX_LINES = 200;
/** Talker rows one read returns. */
export const MAX_TALKERS = 20;
/** Live captures at once per agent: each is a process with a packet socket. */
export const MAX_CAPTURES = 4;
/** A capture nobody has read for this long is ended. */
export const LEASE_MS = 15_000;
/** The capture process reports this often, with at most LINES_PER_REPORT header lines. */
export const REPORT_MS = 500;
export const LINES_PER_REPORT = 50;

export const CaptureLine = z.object({
  seq: z.number(),
  t: z.number(),
  proto: z.string(),
  src: z.string(),
  dst: z.string(),
  sport: z.number().nullable(),
  dport: z.number().nullable(),
  len: z.number(),
  info: z.string(),
  /** The outer addresses of a VXLAN packet (a peer's capture). */
  tunnel: z.object({ src: z.string(), dst: z.string(), vni: z.number(), len: z.number() }).nullable(),
});
export type CaptureLine = z.infer<typeof CaptureLine>;

export const TalkerRow = z.object({
  proto: z.string(),
  src: z.string(),
  dst: z.string(),
  sport: z.number().nullable(),
  dport: z.number().nullable(),
  packets: z.number(),
  bytes: z.number(),
  pps: z.number(),
  bps: z.number(),
});
export type TalkerRow = z.infer<typeof TalkerRow>;

/** starting: the process is opening the port; live: frames arrive; stale: none for a while from a live one; failed/ended: gone, with why. */
export const CaptureState = z.enum(['starting', 'live', 'stale', 'failed', 'ended']);
export type CaptureState = z.infer<typeof CaptureState>;

export const CaptureRead = z.object({
  id: z.string(),
  target: z.string(),
  interface: z.string(),
  filter: z.string(),
  promiscuous: z.boolean(),
  state: CaptureState,
  reason: z.string().nullable(),
  startedAt: z.number(),
  /** Since the capture process last reported (it reports twice a second while live). */
  ageMs: z.number(),
  /** Lines after the `after` asked for, oldest first, at most MAX_LINES. */
  lines: z.array(CaptureLine),
  /** The newest line's seq (ask for those after it next). */
  latest: z.number(),
  /** Lines not kept: the capture process sends at most 50 per half second, the agent keeps MAX_LINES. */
  skipped: z.number(),
  talkers: z.array(TalkerRow),
  /** 5-tuples seen, and packets of those past the cap. */
  flows: z.number(),
  overflow: z.number(),
  /** Frames the filter passed, and libpcap's counters. */
  packets: z.number(),
  received: z.number(),
  dropped: z.number(),
});
export type CaptureRead = z.infer<typeof CaptureRead>;

const target = {
  container: z.string().min(1).max(128).optional(),
  peer: z.string().min(1).max(128).optional(),
};

export const captureApi = {
  'capture.open': {
    params: z
      .object({ ...target, filter: z.string().max(512).optional() })
      .strict()
      .refine((p) => (p.container === undefined) !== (p.peer === undefined), {
        message: 'give a container or a peer, not both',
        path: ['container'],
      }),
    result: CaptureRead,
  },
  'capture.read': {
    params: z.object({ id: z.string().min(1).max(64), after: z.number().int().min(0).optional() }).strict(),
    result: CaptureRead,
  },
  'capture.close': {
    params: z.object({ id: z.string().min(1).max(64) }).strict(),
    result: z.object({ closed: z.boolean() }),
  },
} as const;
