import { z } from 'zod';
import { DriverName } from './router-status.js';

/** One preflight finding: what was checked, whether it works, and what to do when it does not. */
export const DoctorCheck = z.object({
  id: z.string(),
  title: z.string(),
  /** ok: works; warn: works with a cost or a risk; fail: does not work; skip: not checked (said why). */
  state: z.enum(['ok', 'warn', 'fail', 'skip']),
  detail: z.string(),
  /** The next step, a command where there is one; null when nothing is to be done. */
  fix: z.string().nullable(),
});
export type DoctorCheck = z.infer<typeof DoctorCheck>;

export const doctorApi = {
  doctor: {
    params: z.object({}).strict(),
    result: z.object({
      checks: z.array(DoctorCheck),
      ok: z.boolean(),
      /** Added later (optional, so older agents still parse): whose ports were checked; null: every driver's. */
      driver: DriverName.nullable().optional(),
    }),
  },
} as const;
