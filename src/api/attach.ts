import { z } from 'zod';
import { ContainerRef } from './container-ref.js';

/** A reconcile that failed and is retried with back-off: why, how often, and when the next try runs. */
export const ReconcileFailure = z.object({
  container: z.string(),
  containerId: z.string(),
  reason: z.string(),
  attempts: z.number(),
  retryAt: z.string(),
});
export type ReconcileFailure = z.infer<typeof ReconcileFailure>;

export const AttachmentView = z.object({
  container: z.string(),
  containerId: z.string(),
  ifname: z.string(),
  hostIfname: z.string(),
  mac: z.string().nullable(),
  /** Addresses asked for (desired state). */
  cidrs: z.array(z.string()),
  /** Addresses the kernel has on the interface now. */
  live: z.array(z.string()),
  state: z.enum(['attached', 'container-stopped', 'drift']),
  /** Present while bringing this container back failed and is being retried. */
  reconcile: ReconcileFailure.optional(),
  /** Present when another host claimed one of these addresses earlier (mesh-wide table): why this one is flagged. */
  clash: z.string().optional(),
});
export type AttachmentView = z.infer<typeof AttachmentView>;

export const ContainerRow = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  running: z.boolean(),
  status: z.string(),
  /** The attachment, when this container has one. */
  attachment: AttachmentView.nullable(),
});
export type ContainerRow = z.infer<typeof ContainerRow>;

/** Container attachments: attach, detach, ps, and every container on the host for the UI. */
export const attachApi = {
  attach: {
    params: z.object({ cidrs: z.array(z.string()).min(1), container: ContainerRef }).strict(),
    result: z.object({
      attachment: AttachmentView,
      added: z.array(z.string()),
      alreadyPresent: z.array(z.string()),
      /** Recorded addresses the kernel had lost (drift), put back by this attach. */
      repaired: z.array(z.string()),
    }),
  },
  detach: {
    params: z.object({ cidrs: z.array(z.string()), container: ContainerRef }).strict(),
    result: z.object({
      container: z.string(),
      removed: z.array(z.string()),
      notAttached: z.array(z.string()),
      interfaceRemoved: z.boolean(),
    }),
  },
  ps: {
    params: z.object({}).strict(),
    result: z.object({ attachments: z.array(AttachmentView) }),
  },
  containers: {
    params: z.object({}).strict(),
    result: z.object({ containers: z.array(ContainerRow) }),
  },
} as const;
