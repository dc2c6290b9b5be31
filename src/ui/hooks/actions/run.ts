import type { Dispatch } from 'react';
import { XnetError } from '../../../errors.js';
import type { Effect } from '../../keys/handleKey.js';
import type { KeyBindings } from '../../keys/keyBindings.js';
import type { Action } from '../../state/reducer.js';
import type { AgentLink } from '../useAgent.js';

/** Effects that need the agent (quit is the keyboard's own). */
export type AgentEffect = Exclude<Effect, { kind: 'quit' }>;

/** One domain's effects, each by its kind: a domain file gives these for the effects it owns. */
export type EffectHandlers<K extends AgentEffect['kind']> = {
  [P in K]: (e: Extract<AgentEffect, { kind: P }>) => Promise<void>;
};

/** What every domain's actions are given. */
export interface ActionContext {
  link: () => AgentLink | undefined;
  dispatch: Dispatch<Action>;
  refreshNow: () => void;
  /** The keymap, for messages that name a key. */
  bindings: KeyBindings;
  /**
   * Runs a dialog's call: closes the dialog and reports on the event line when done; a failure stays in the
   * dialog with the agent's words and goes to the event line too.
   */
  run(what: string, fn: (l: AgentLink) => Promise<string>, ms?: number): Promise<void>;
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const eventOf = (level: 'info' | 'ok' | 'error', text: string): Action => ({
  type: 'event',
  event: { at: Date.now(), level, text },
});

/** An error in the operator's words: the message and, for ours, the hint. */
export const messageOf = (err: unknown): string => {
  const e = err as XnetError;
  return `${e.message}${e instanceof XnetError && e.hint ? ` (${e.hint})` : ''}`;
};

/** The hint a dialog shows for an error's code, where the agent's own hint is not the TUI's way. */
export type HintFor = (err: unknown) => string | undefined;

export function actionContext(
  link: () => AgentLink | undefined,
  dispatch: Dispatch<Action>,
  refreshNow: () => void,
  bindings: KeyBindings,
  hintFor: HintFor,
): ActionContext {
  return {
    link,
    dispatch,
    refreshNow,
    bindings,
    async run(what, fn, ms = 30_000) {
      const l = link();
      if (!l) {
        dispatch({ type: 'dialogFailed', message: 'the agent is not connected; try again when it is back' });
        return;
      }
      try {
        const done = await withTimeout(fn(l), ms);
        dispatch({ type: 'dialog', dialog: undefined });
        dispatch(eventOf('ok', done));
      } catch (err) {
        const text = `${what}: ${messageOf(err)}`;
        const hint = hintFor(err);
        dispatch({ type: 'dialogFailed', message: text, ...(hint ? { hint } : {}) });
        dispatch(eventOf('error', text));
      }
      refreshNow();
    },
  };
}
