import { z } from 'zod';

export const InterfaceCounters = z.object({
  name: z.string(),
  /** `bridge`, `veth`, `vxlan`, ...; null for a plain device. */
  kind: z.string().nullable(),
  /** The bridge this interface is a port of, if any. */
  master: z.string().nullable(),
  operstate: z.string(),
  rxBytes: z.number(),
  txBytes: z.number(),
  rxPackets: z.number(),
  txPackets: z.number(),
  rxErrors: z.number(),
  txErrors: z.number(),
  rxDropped: z.number(),
  txDropped: z.number(),
});
export type InterfaceCounters = z.infer<typeof InterfaceCounters>;

/** Per-interface counters in the agent's network namespace, for the UI's Traffic pane (rates are the client's job). */
export const interfacesApi = {
  interfaces: {
    params: z.object({}).strict(),
    result: z.object({
      /** When the counters were read (ms since the epoch, agent clock). */
      at: z.number(),
      interfaces: z.array(InterfaceCounters),
    }),
  },
} as const;
