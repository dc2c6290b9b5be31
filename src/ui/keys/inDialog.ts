// The keys while a dialog is open: Esc cancels any of them, the form dialogs' keys go to their handlers in
// dialogKeys.ts (capture's to captureKeys.ts), and the small ones (confirmations, pickers, scrolling views)
// are handled here. Split from handleKey.ts, which is the keymap of the panes. Pure.
import { routerRange, suggestCidr, checkCidr } from '../compute/address.js';
import type { Dialog, UIState } from '../state/model.js';
import { attachable, pingSources } from '../state/rows.js';
import { addPingKey, connectKey, dockerdKey, forgetKey, hostNameOf, launchKey } from './dialogKeys.js';
import type { KeyOutcome } from './handleKey.js';
import { commandFor, type KeyBindings } from './keyBindings.js';
import { edit } from './text.js';
import { captureKey } from './captureKeys.js';

const none: KeyOutcome = { actions: [] };
const dialog = (d: Dialog | undefined): KeyOutcome => ({ actions: [{ type: 'dialog', dialog: d }] });

export function dialogKey(
  s: UIState,
  d: Dialog,
  name: string,
  input: string,
  bindings: KeyBindings,
): KeyOutcome {
  if (d.kind === 'dockerd') return dockerdKey(s, d, name, input, bindings);
  if (d.kind === 'capture') return captureKey(d, name, input, bindings);
  const dk = commandFor(bindings, name, 'dialog');
  if (dk === 'cancel') return dialog(undefined);
  switch (d.kind) {
    case 'launch':
      return launchKey(d, name, input, bindings);
    case 'connect':
      return connectKey(d, name, input, bindings);
    case 'rotateKey': {
      if (d.busy) return none;
      if (dk !== 'confirm') {
        const next = edit(d.input, name, input);
        return next === undefined ? none : dialog({ ...d, input: next, error: undefined });
      }
      const passwordFile = d.input.trim();
      if (!passwordFile) return dialog({ ...d, error: 'type the path of the file holding the new password' });
      const host = hostNameOf(s);
      return dialog({
        kind: 'typeConfirm',
        title: 'Rotate the mesh key',
        message: `Every alive member gets the key from ${passwordFile}, then switches to it and drops the old one. A member that is down now needs reset and launch with the new file later.`,
        expect: host,
        typed: '',
        intent: { kind: 'rotateKey', passwordFile },
        busy: false,
      });
    }
    case 'forget':
      return forgetKey(d, name, bindings);
    case 'addPing':
      return addPingKey(d, name, input, bindings, pingSources(s));
    case 'help': {
      const cmd = commandFor(bindings, name);
      return cmd === 'help' || cmd === 'quit' || dk === 'confirm' ? dialog(undefined) : none;
    }
    case 'details':
      return dk === 'confirm' ? dialog(undefined) : none;
    case 'doctor':
    case 'events': {
      const cmd = commandFor(bindings, name);
      if (cmd === d.kind || name === 'q' || name === 'return') return dialog(undefined);
      let step =
        cmd === 'up' ? 1 : cmd === 'down' ? -1 : name === 'pageup' ? 10 : name === 'pagedown' ? -10 : 0;
      if (step === 0) return none;
      // The events view counts up from the newest (bottom), the doctor view down from the top.
      if (d.kind === 'doctor') step = -step;
      // Lines, not events (an event wraps): the view clamps what it cannot show.
      const scroll = Math.max(
        0,
        Math.min((d.kind === 'events' ? s.health.events.length : 20) * 4, d.scroll + step),
      );
      return scroll === d.scroll ? none : dialog({ ...d, scroll });
    }
    case 'attachPick': {
      const list = attachable(s);
      const cmd = commandFor(bindings, name);
      if (cmd === 'up' || cmd === 'down') {
        const at = Math.max(0, Math.min(list.length - 1, d.selected + (cmd === 'up' ? -1 : 1)));
        return dialog({ ...d, selected: at });
      }
      const c = list[Math.min(d.selected, list.length - 1)];
      if (dk === 'confirm' && c)
        return dialog({ kind: 'attachCidr', container: c.name, input: '', busy: false });
      return none;
    }
    case 'attachCidr': {
      if (d.busy) return none;
      if (dk === 'nextField') {
        const suggestion = suggestCidr(s.containers, routerRange(s.router));
        return suggestion ? dialog({ ...d, input: suggestion, error: undefined }) : none;
      }
      if (dk === 'confirm') {
        const check = checkCidr(d.input, s.containers, d.container);
        if (!check.ok) return dialog({ ...d, error: check.message });
        return {
          actions: [{ type: 'dialog', dialog: { ...d, busy: true, error: undefined } }],
          effect: { kind: 'attach', container: d.container, cidr: check.cidr },
        };
      }
      const next = edit(d.input, name, input);
      return next === undefined ? none : dialog({ ...d, input: next, error: undefined });
    }
    case 'confirm':
      if (d.busy) return none;
      if (dk === 'yes' || dk === 'confirm')
        return { actions: [{ type: 'dialog', dialog: { ...d, busy: true } }], effect: d.intent };
      if (dk === 'no') return dialog(undefined);
      return none;
    case 'typeConfirm': {
      if (d.busy) return none;
      if (dk === 'confirm') {
        return d.typed === d.expect
          ? { actions: [{ type: 'dialog', dialog: { ...d, busy: true } }], effect: d.intent }
          : none;
      }
      const next = edit(d.typed, name, input);
      return next === undefined ? none : dialog({ ...d, typed: next });
    }
  }
}
