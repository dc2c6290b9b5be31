import type { CaptureView } from '../state/capture.js';
import type { KeyOutcome } from './handleKey.js';
import { commandFor, type KeyBindings } from './keyBindings.js';
import { edit } from './text.js';

const view = (v: CaptureView | undefined): KeyOutcome => ({ actions: [{ type: 'dialog', dialog: v }] });

/**
 * Keys in the capture view: `/` types a new kernel filter (Enter applies it, which opens a new capture; Esc
 * keeps the old one), Esc or the capture key again closes the view, and closing ends the capture (useCapture).
 */
export function captureKey(v: CaptureView, name: string, input: string, bindings: KeyBindings): KeyOutcome {
  const dk = commandFor(bindings, name, 'dialog');
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
