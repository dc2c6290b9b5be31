import { useEffect, type Dispatch } from 'react';
import { XnetError } from '../../errors.js';
import { captureKey } from '../state/capture.js';
import type { Dialog } from '../state/model.js';
import type { Action } from '../state/reducer.js';
import { messageOf, withTimeout } from './actions/run.js';
import type { AgentActions } from './agentActions.js';
import type { BeforeExit } from '../before-exit.js';

/**
 * The capture view's capture: opened on the agent when the view opens (or its filter changes), read every
 * `everyMs` (the agent hands out at most MAX_LINES lines a read), closed when the view closes, and on quit
 * (q, Ctrl-C, a signal) through `beforeExit`, while the connection is still open. A TUI that dies with the view
 * open cannot close it: the agent ends a capture nobody reads (LEASE_MS).
 */
export function useCapture(
  dialog: Dialog | undefined,
  actions: AgentActions,
  dispatch: Dispatch<Action>,
  beforeExit: BeforeExit,
  everyMs = 500,
): void {
  const v = dialog?.kind === 'capture' ? dialog : undefined;
  const key = v ? captureKey(v) : undefined;
  useEffect(() => {
    if (!v || key === undefined) return;
    const { target, filter } = v;
    let stopped = false;
    let id: string | undefined;
    let after = 0;
    let busy = false;
    let timer: NodeJS.Timeout | undefined;
    /** Ends the capture on the agent, once: the view closing or the UI quitting, whichever comes first. */
    const close = async (): Promise<void> => {
      stopped = true;
      clearInterval(timer);
      const open = id;
      id = undefined;
      if (open) await actions.captureCall('capture.close', { id: open }).catch(() => undefined);
    };
    const leave = beforeExit.add(close);
    const fail = (err: unknown): void => {
      // Decided on the error's kind and field, never its words: a filter libpcap refuses is the operator's to fix.
      const refused = err instanceof XnetError && err.kind === 'bad_input' && err.field === 'filter';
      const text = messageOf(err);
      dispatch({ type: 'capture', update: refused ? { key, refused: text } : { key, failed: text } });
    };
    const read = async (): Promise<void> => {
      if (busy || !id || stopped) return;
      busy = true;
      try {
        const r = await withTimeout(actions.captureCall('capture.read', { id, after }), 5_000);
        if (stopped) return;
        after = r.latest;
        dispatch({ type: 'capture', update: { key, read: r } });
      } catch (err) {
        if (stopped) return;
        clearInterval(timer);
        fail(err);
      } finally {
        busy = false;
      }
    };
    void (async () => {
      try {
        const r = await withTimeout(
          actions.captureCall('capture.open', { ...target, ...(filter ? { filter } : {}) }),
          15_000,
        );
        if (stopped) {
          await actions.captureCall('capture.close', { id: r.id }).catch(() => undefined);
          return;
        }
        id = r.id;
        after = r.latest;
        dispatch({ type: 'capture', update: { key, read: r } });
        timer = setInterval(() => void read(), everyMs);
      } catch (err) {
        if (!stopped) fail(err);
      }
    })();
    return () => {
      leave();
      void close();
    };
    // By key: a new answer merged into the same view must not reopen the capture.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, actions, dispatch, beforeExit, everyMs]);
}
