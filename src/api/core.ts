import { z } from 'zod';
import { ReconcileFailure } from './attach.js';

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
      // netns: the named namespace the bridge is in (the overlay's); null: the host's.
      bridge: z.object({
        name: z.string(),
        present: z.boolean(),
        mtu: z.number().nullable(),
        netns: z.string().nullable().optional(),
      }),
      attachments: z.number(),
      /** Containers whose reconcile failed and is retried with back-off (absent from older agents). */
      reconcileFailures: z.array(ReconcileFailure).optional(),
      startedAt: z.string(),
      /** Set when the state file was found damaged at start: kept aside, and what was recovered. */
      stateRecovery: z.string().nullable().optional(),
    }),
  },
} as const;
