import { z } from 'zod';

/**
 * Health changes on this host, as the agent saw them happen: a peer unreachable or back, MTU too small, a
 * check down or up, telemetry failed, dockerd restarted, drift. `kind` is for code (scripts, the UI's
 * colours); `text` is for the operator and free to change.
 */
export const HealthEventKind = z.enum([
  'peer_unreachable',
  'peer_reachable',
  'peer_failed',
  'peer_alive',
  'mtu_too_small',
  'mtu_ok',
  'check_down',
  'check_degraded',
  'check_up',
  'telemetry_failed',
  'telemetry_ok',
  'dockerd_unreachable',
  'dockerd_reachable',
  'dockerd_restarted',
  'drift',
  'drift_repaired',
  'address_clash',
  'address_clash_resolved',
]);
export type HealthEventKind = z.infer<typeof HealthEventKind>;

export const HealthLevel = z.enum(['error', 'warn', 'ok', 'info']);
export type HealthLevel = z.infer<typeof HealthLevel>;

export const HealthEvent = z.object({
  /** Rises by one per event and survives agent restarts: `events --since SEQ` returns those after it. */
  seq: z.number().int().positive(),
  /** When the agent saw the change (ISO 8601). */
  at: z.string(),
  level: HealthLevel,
  kind: HealthEventKind,
  /** What it is about: a peer's underlay address, a check id, a container name, `dockerd`, `telemetry`. */
  subject: z.string(),
  text: z.string(),
});
export type HealthEvent = z.infer<typeof HealthEvent>;

export const eventsApi = {
  events: {
    params: z
      .object({
        /** Only events with a larger seq (0 or absent: all kept). */
        since: z.number().int().min(0).optional(),
        limit: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    result: z.object({
      events: z.array(HealthEvent),
      /** The newest seq the agent has handed out (0: none yet): the next call's `since`. */
      latest: z.number().int().min(0),
      /** How many events the agent keeps. */
      capacity: z.number().int(),
    }),
  },
} as const;
