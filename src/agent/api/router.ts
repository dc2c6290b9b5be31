import { z } from 'zod';
import { ConnectionStatus, DriverName, RouterStatus } from '../../router/driver.js';

/** The overlay router: launch, peers, stop and reset, and its status. */
export const routerApi = {
  launch: {
    params: z
      .object({
        driver: DriverName.optional(),
        nickname: z.string().min(1).max(63).optional(),
        listen: z.string().optional(),
        range: z.string().optional(),
        passwordFile: z.string().optional(),
        subnet: z.string().optional(),
        mtu: z.number().int().optional(),
        peers: z.array(z.string()).optional(),
      })
      .strict(),
    result: z.object({ router: RouterStatus, warnings: z.array(z.string()) }),
  },
  connect: {
    params: z.object({ peers: z.array(z.string()).min(1) }).strict(),
    result: z.object({ connections: z.array(ConnectionStatus) }),
  },
  forget: {
    params: z.object({ peers: z.array(z.string()).min(1) }).strict(),
    result: z.object({ forgotten: z.array(z.string()), unknown: z.array(z.string()) }),
  },
  stop: {
    params: z.object({}).strict(),
    result: z.object({ wasRunning: z.boolean() }),
  },
  reset: {
    params: z.object({}).strict(),
    result: z.object({ wasLaunched: z.boolean() }),
  },
  router: {
    params: z.object({}).strict(),
    result: RouterStatus,
  },
} as const;
