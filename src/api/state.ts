import { z } from 'zod';
import { LaunchSettings } from './router-status.js';

/** Desired state: what the operator asked for, kept on disk so the kernel can be reconciled to it. */
export const AttachmentSchema = z.object({
  containerId: z.string().regex(/^[0-9a-f]{64}$/),
  containerName: z.string(),
  ifname: z.string(),
  cidrs: z.array(z.string()).min(1),
  since: z.string(),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

/** A ping check the operator added (automatic checks are derived, never stored). */
export const PingCheckSchema = z.object({
  id: z.string().regex(/^u-[0-9a-f]{12}$/),
  target: z.string(),
  /** Container name the probes leave from; null for the host. */
  from: z.string().nullable(),
  since: z.string(),
});
export type StoredPingCheck = z.infer<typeof PingCheckSchema>;

/**
 * 2: the vxlan driver's bridge and the containers' host-side veths are in the overlay namespace; 1: they were
 * in the host's (an agent finding 1 moves them, src/agent/migrate.ts).
 */
export const STATE_VERSION = 2;

export const StateSchema = z.object({
  version: z.union([z.literal(1), z.literal(STATE_VERSION)]),
  attachments: z.array(AttachmentSchema),
  /** The router as last launched; absent until the first launch and after a reset. */
  router: LaunchSettings.optional(),
  /** User-defined ping checks; absent until the first is added. */
  pingChecks: z.array(PingCheckSchema).optional(),
});
export type State = z.infer<typeof StateSchema>;

export const emptyState = (): State => ({ version: STATE_VERSION, attachments: [] });

/** What the agent's domains read and change of the desired state (the agent's StateStore is it). */
export interface DesiredState {
  readonly current: Readonly<State>;
  update(change: (s: Readonly<State>) => State): Promise<State>;
}
