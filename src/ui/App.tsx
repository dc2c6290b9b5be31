import { useEffect, useReducer } from 'react';
import { Screen } from './components/Screen.js';
import { useAgent, type Connect } from './hooks/useAgent.js';
import { useCapture } from './hooks/useCapture.js';
import { useClock } from './hooks/useClock.js';
import { useDockerdCheck } from './hooks/useDockerdCheck.js';
import { useKeyboard } from './hooks/useKeyboard.js';
import { useTerminalSize } from './hooks/useTerminalSize.js';
import type { KeyBindings } from './keys/keyBindings.js';
import { initialState } from './state/model.js';
import { reducer } from './state/reducer.js';
import type { Theme } from './theme/tokens.js';
import { BeforeExit } from './before-exit.js';

export interface AppProps {
  connect: Connect;
  socket: string;
  host: string;
  theme: Theme;
  bindings: KeyBindings;
  /** A config file problem to show on the event line at start. */
  notice?: string | undefined;
  /** Run before the UI exits (q here; signals in runTui): what must still reach the agent. */
  beforeExit?: BeforeExit;
}

const noTasks = new BeforeExit();

/** Wiring only: state, the agent, the clock and the keyboard feed one Screen drawn from state and size. */
export function App({ connect, socket, host, theme, bindings, notice, beforeExit = noTasks }: AppProps) {
  const [state, dispatch] = useReducer(reducer, undefined, () => initialState(host, socket));
  const actions = useAgent(connect, dispatch, { socket, bindings });
  useClock(dispatch);
  useKeyboard(state, dispatch, actions, bindings, beforeExit);
  useDockerdCheck(state.dialog, actions);
  useCapture(state.dialog, actions, dispatch, beforeExit);
  useEffect(() => {
    if (notice) dispatch({ type: 'event', event: { at: Date.now(), level: 'error', text: notice } });
  }, [notice]);
  const { cols, rows } = useTerminalSize();
  useEffect(() => dispatch({ type: 'size', cols, rows }), [cols, rows]);
  return <Screen state={state} cols={cols} rows={rows} theme={theme} bindings={bindings} />;
}
