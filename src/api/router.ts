import { z } from 'zod';
import { LanSettings } from './lan-status.js';
import { ConnectionStatus, DriverName, RouterStatus } from './router-status.js';

const StepResult = z.enum(['ok', 'failed', 'skipped']);

/** rotate-key's answer: each alive member's install/use/remove step, and how many old keys went. */
export const KeyRotation = z.object({
  members: z.array(
    z.object({
      name: z.string(),
      install: StepResult,
      use: StepResult,
      remove: StepResult,
      error: z.string().nullable(),
    }),
  ),
  removed: z.number(),
});

/** The overlay router: launch, peers, stop and reset, and its status. */
export const routerApi = {
  launch: {
    params: z
      .object({
        driver: DriverName.optional(),
        // Shown in every peer's table and carried in a serf tag: one printable line.
        nickname: z
          .string()
          .min(1, 'is empty')
          .max(63, 'is longer than 63 characters')
          .regex(/^[^\p{C}]+$/u, 'has a newline or another control character')
          .optional(),
        listen: z.string().optional(),
        range: z.string().optional(),
        passwordFile: z.string().optional(),
        subnet: z.string().optional(),
        lan: LanSettings.optional(),
        /** Seconds the operator has to `confirm` a first launch; unconfirmed, it is reset by itself. */
        confirm: z.number().int().min(1).max(600).optional(),
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
  confirm: {
    params: z.object({}).strict(),
    result: z.object({ confirmed: z.boolean() }),
  },
  stop: {
    params: z.object({}).strict(),
    result: z.object({ wasRunning: z.boolean() }),
  },
  reset: {
    params: z.object({}).strict(),
    result: z.object({ wasLaunched: z.boolean() }),
  },
  rotateKey: {
    params: z.object({ passwordFile: z.string().min(1, 'is empty') }).strict(),
    result: KeyRotation,
  },
  router: {
    params: z.object({}).strict(),
    result: RouterStatus,
  },
} as const;
