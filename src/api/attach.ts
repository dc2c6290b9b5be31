import { z } from 'zod';

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
    params: z.object({ cidrs: z.array(z.string()).min(1), container: z.string().min(1) }).strict(),
    result: z.object({
      attachment: AttachmentView,
      added: z.array(z.string()),
      alreadyPresent: z.array(z.string()),
    }),
  },
  detach: {
    params: z.object({ cidrs: z.array(z.string()), container: z.string().min(1) }).strict(),
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
