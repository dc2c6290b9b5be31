import type { Dispatch } from 'react';
import { XnetError } from '../../errors.js';
import type { Action } from '../state/reducer.js';
import { attachActions } from './actions/attach.js';
import { dockerdActions } from './actions/dockerd.js';
import { doctorActions } from './actions/doctor.js';
import { routerActions } from './actions/router.js';
import { actionContext, type AgentEffect, type EffectHandlers } from './actions/run.js';
import { telemetryActions } from './actions/telemetry.js';
import type { AgentLink } from './useAgent.js';

export { eventOf, withTimeout, type AgentEffect } from './actions/run.js';

export interface AgentActions {
  perform(effect: AgentEffect): Promise<void>;
  /** Live validation of one value being typed in the dockerd editor (the hook debounces). */
  checkDockerd(key: string, input: string, edits: Record<string, string | null>): Promise<void>;
}

const RESET_NEEDED =
  'Switching drivers needs a reset first: Esc, then R on the Peers pane resets the router (attachments stay); then l launches the new driver.';

/** The TUI's own next step for an error, decided on its code (never on its wording). */
export function hintFor(err: unknown): string | undefined {
  return err instanceof XnetError && err.code === 'needs_reset' ? RESET_NEEDED : undefined;
}

/**
 * What the keys ask of the agent, one domain per file under actions/ as agent/api/ is split; this only
 * joins them. Every effect kind must have its handler (the type says so).
 */
export function agentActions(
  link: () => AgentLink | undefined,
  dispatch: Dispatch<Action>,
  refreshNow: () => void,
): AgentActions {
  const ctx = actionContext(link, dispatch, refreshNow, hintFor);
  const { checkDockerd, ...dockerd } = dockerdActions(ctx);
  const handlers: EffectHandlers<AgentEffect['kind']> = {
    ...attachActions(ctx),
    ...routerActions(ctx),
    ...telemetryActions(ctx),
    ...doctorActions(ctx),
    ...dockerd,
  };
  return {
    perform: (e) => (handlers[e.kind] as (e: AgentEffect) => Promise<void>)(e),
    checkDockerd,
  };
}
