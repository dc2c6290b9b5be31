import type { z } from 'zod';
import { coreApi } from './core.js';
import { attachApi } from './attach.js';
import { interfacesApi } from './interfaces.js';
import { routerApi } from './router.js';
import { dockerdApi } from './dockerd.js';
import { telemetryApi } from './telemetry.js';
import { eventsApi } from './events.js';
import { doctorApi } from './doctor.js';
import { captureApi } from './capture.js';

export * from './attach.js';
export * from './interfaces.js';
export * from './dockerd.js';
export * from './telemetry.js';
export * from './events.js';
export * from './doctor.js';
export * from './capture.js';

/**
 * The agent's RPC API: every method's params and result, defined once and checked at both ends.
 * Each domain keeps its methods in its own file here; this table is the union.
 */
export const api = {
  ...coreApi,
  ...attachApi,
  ...interfacesApi,
  ...routerApi,
  ...dockerdApi,
  ...telemetryApi,
  ...eventsApi,
  ...doctorApi,
  ...captureApi,
} as const;

export type Api = typeof api;
export type Method = keyof Api;
export type Params<M extends Method> = z.input<Api[M]['params']>;
export type Result<M extends Method> = z.infer<Api[M]['result']>;
/** What the agent answers each method with; each domain gives its share (telemetry, dockerd, ...). */
export type Handlers = { [M in Method]: (params: z.infer<Api[M]['params']>) => Promise<Result<M>> };
