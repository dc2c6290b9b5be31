import { useApp, useInput, useStdout } from 'ink';
import { useLayoutEffect, useRef, type Dispatch } from 'react';
import { handleKey } from '../keys/handleKey.js';
import { splitInput, type KeyBindings } from '../keys/keyBindings.js';
import type { UIState } from '../state/model.js';
import { reducer, type Action } from '../state/reducer.js';
import type { AgentActions } from './agentActions.js';
import type { BeforeExit } from '../before-exit.js';

/** Feeds each key press through the pure handler and runs what it asks for. */
export function useKeyboard(
  state: UIState,
  dispatch: Dispatch<Action>,
  actions: AgentActions,
  bindings: KeyBindings,
  beforeExit: BeforeExit,
): void {
  const { exit } = useApp();
  const { stdout } = useStdout();
  // Keys can arrive faster than renders; read the newest state, not the one this closure saw.
  const latest = useRef(state);
  useLayoutEffect(() => {
    latest.current = state;
  });
  useInput((chunk, key) => {
    for (const { name, input } of splitInput(chunk, key)) {
      const outcome = handleKey(latest.current, name, input, bindings);
      for (const a of outcome.actions) {
        dispatch(a);
        latest.current = reducer(latest.current, a);
      }
      const e = outcome.effect;
      if (!e) continue;
      // What must reach the agent first (an open capture's close), then the exit that closes the connection.
      if (e.kind === 'quit') void beforeExit.run().finally(() => exit());
      // The terminal writer (DiffTerminal) repaints what it last drew; another stdout has nothing to redraw.
      else if (e.kind === 'redraw') (stdout as { redraw?: () => void }).redraw?.();
      else void actions.perform(e);
    }
  });
}
