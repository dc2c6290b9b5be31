import { useEffect } from 'react';
import type { Dialog } from '../state/model.js';
import type { AgentActions } from './agentActions.js';

/** Asks the agent about a dockerd value once the operator pauses typing (not on every key). */
export function useDockerdCheck(dialog: Dialog | undefined, actions: AgentActions, delayMs = 300): void {
  const pending =
    dialog?.kind === 'dockerd' && dialog.phase === 'edit' && dialog.check?.state === 'checking'
      ? dialog.check
      : undefined;
  const edits = dialog?.kind === 'dockerd' ? dialog.edits : undefined;
  useEffect(() => {
    if (!pending || !edits) return;
    const t = setTimeout(() => void actions.checkDockerd(pending.key, pending.input, edits), delayMs);
    return () => clearTimeout(t);
    // By key and input: a new check object for the same value must not restart the wait.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pending?.key, pending?.input, edits, actions, delayMs]);
}
