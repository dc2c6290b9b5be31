import { z } from 'zod';

/** The agent's RPC API: every method's params and result, defined once and checked at both ends. */

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

export const api = {
  status: {
    params: z.object({}).strict(),
    result: z.object({
      version: z.string(),
      pid: z.number(),
      socket: z.string(),
      stateDir: z.string(),
      dockerHost: z.string(),
      docker: z.object({
        reachable: z.boolean(),
        version: z.string().nullable(),
        error: z.string().nullable(),
      }),
      bridge: z.object({ name: z.string(), present: z.boolean(), mtu: z.number().nullable() }),
      attachments: z.number(),
      startedAt: z.string(),
    }),
  },
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
} as const;

export type Api = typeof api;
export type Method = keyof Api;
export type Params<M extends Method> = z.input<Api[M]['params']>;
export type Result<M extends Method> = z.infer<Api[M]['result']>;
