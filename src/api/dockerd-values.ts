import { z } from 'zod';

/** dockerd's option values as daemon.json holds them, and a staged change: the API's and docker/config's. */

export const AddressPool = z.object({ base: z.string(), size: z.number().int() }).strict();
export type AddressPool = z.infer<typeof AddressPool>;

/** A value as daemon.json holds it. */
export const OptionValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.array(z.string()),
  z.array(AddressPool),
]);
export type OptionValue = z.infer<typeof OptionValue>;

export const StagedChange = z
  .object({
    key: z.string(),
    /** null: unset, back to dockerd's default (removed from daemon.json and from the flags). */
    value: OptionValue.nullable(),
    to: z.enum(['daemon.json', 'flag']).optional(),
  })
  .strict();
export type StagedChange = z.infer<typeof StagedChange>;
