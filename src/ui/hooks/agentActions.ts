import type { Dispatch } from 'react';
import type { Params, Result } from '../../api/index.js';
import { XnetError } from '../../errors.js';
import { defaultKeyBindings, keyFor, type Command, type KeyBindings } from '../keys/keyBindings.js';
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
  /** The capture view's calls; useCapture owns their timing. */
  captureCall<M extends CaptureMethod>(method: M, params: Params<M>): Promise<Result<M>>;
}

type CaptureMethod = 'capture.open' | 'capture.read' | 'capture.close';

/** The TUI's own next step for an error, decided on its code (never on its wording), with the keys it has. */
export function hintFor(err: unknown, bindings: KeyBindings): string | undefined {
  const key = (c: Command): string => keyFor(bindings, c);
  return err instanceof XnetError && err.code === 'needs_reset'
    ? `Switching drivers needs a reset first: ${key('cancel')}, then ${key('reset')} on the Peers pane resets the router (attachments stay); then ${key('launch')} launches the new driver.`
    : undefined;
}

/**
 * What the keys ask of the agent, one domain per file under actions/ as src/api/ is split; this only
 * joins them. Every effect kind must have its handler (the type says so).
 */
export function agentActions(
  link: () => AgentLink | undefined,
  dispatch: Dispatch<Action>,
  refreshNow: () => void,
  bindings: KeyBindings = defaultKeyBindings,
): AgentActions {
  const ctx = actionContext(link, dispatch, refreshNow, bindings, (err) => hintFor(err, bindings));
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
    captureCall: async (method, params) => {
      const l = link();
      if (!l) throw new Error('the agent is not connected; the capture opens when it is back');
      return l.call(method, params);
    },
  };
}
