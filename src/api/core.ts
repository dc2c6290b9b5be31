import { z } from 'zod';

/** The agent itself. */
export const coreApi = {
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
} as const;
