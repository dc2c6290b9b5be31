import type { CaptureView } from '../state/capture.js';
import type { KeyOutcome } from './handleKey.js';
import { commandFor, type KeyBindings } from './keyBindings.js';
import { edit, typed } from './text.js';

const view = (v: CaptureView | undefined): KeyOutcome => ({ actions: [{ type: 'dialog', dialog: v }] });

/**
 * Keys in the capture view: `/` types a new kernel filter (Enter applies it, which opens a new capture; Esc
 * keeps the old one), Esc or the capture key again closes the view, and closing ends the capture (useCapture);
 * q (when not typing) and Ctrl-C quit the UI, which ends it too.
 */
export function captureKey(v: CaptureView, name: string, input: string, bindings: KeyBindings): KeyOutcome {
  const dk = commandFor(bindings, name, 'dialog');
  // Quit works here too (useCapture closes the capture first); a quit key that is text types while editing.
  if (commandFor(bindings, name) === 'quit' && (v.editing === undefined || typed(name, input) === undefined))
    return { actions: [], effect: { kind: 'quit' } };
  if (v.editing !== undefined) {
    if (dk === 'cancel') return view({ ...v, editing: undefined });
    if (dk === 'confirm') {
      const filter = v.editing.trim();
      if (filter === v.filter && v.phase !== 'refused') return view({ ...v, editing: undefined });
      return view({
        ...v,
        editing: undefined,
        filter,
        phase: 'starting',
        error: undefined,
        read: undefined,
        lines: [],
      });
    }
    const next = edit(v.editing, name, input);
    return next === undefined ? { actions: [] } : view({ ...v, editing: next });
  }
  const cmd = commandFor(bindings, name);
  if (dk === 'cancel' || cmd === 'capture') return view(undefined);
  if (cmd === 'filter') return view({ ...v, editing: v.filter });
  return { actions: [] };
}
