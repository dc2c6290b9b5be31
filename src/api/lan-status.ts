import { z } from 'zod';

/** What the bridge driver takes beyond the common launch settings, and what its status shows. */

/** The bridge driver's own launch settings: the NIC that moves, the bridge it moves into, the check after. */
export const LanSettings = z
  .object({
    nic: z.string().min(1).max(15).optional(),
    bridge: z.string().min(1).max(15).optional(),
    /** What must still answer after the move (default: the default gateway), besides the peers. */
    check: z.string().optional(),
    /** Seconds the check may take before everything is put back. */
    confirmTimeout: z.number().int().min(1).max(600).optional(),
  })
  .strict();
export type LanSettings = z.infer<typeof LanSettings>;

/** What status says only for the bridge driver: the LAN, this host's slice, everyone's slices. */
export const LanStatus = z.object({
  nic: z.string(),
  bridge: z.string(),
  lan: z.string(),
  slice: z.string().nullable(),
  gateway: z.string().nullable(),
  slices: z.array(z.object({ host: z.string(), slice: z.string() })),
});
export type LanStatus = z.infer<typeof LanStatus>;
