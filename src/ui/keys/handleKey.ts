import { suggestCidr, checkCidr } from '../model/address.js';
import type { Dialog, Intent, UIState } from '../state/model.js';
import { NOT_BUILT } from '../state/model.js';
import type { Action } from '../state/reducer.js';
import {
  attachable,
  containerRows,
  peerRows,
  pingRows,
  selectedContainer,
  selectedIndex,
  trafficRows,
} from '../state/rows.js';
import { commandFor, type KeyBindings } from './keyBindings.js';

/** What a key asks of the world beyond the screen: the hook that owns the agent connection runs it. */
export type Effect = { kind: 'quit' } | { kind: 'attach'; container: string; cidr: string } | Intent;

export interface KeyOutcome {
  actions: Action[];
  effect?: Effect;
}

const none: KeyOutcome = { actions: [] };
const dialog = (d: Dialog | undefined): KeyOutcome => ({ actions: [{ type: 'dialog', dialog: d }] });

/** Text the operator typed into a field (a key or a paste), not a named key such as `up` or `ctrl+c`. */
function typed(name: string, input: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  return name === input && /^[^\x00-\x1f\x7f]+$/.test(input) ? input : undefined;
}

function edit(text: string, name: string, input: string): string | undefined {
  if (name === 'backspace') return text.slice(0, -1);
  const t = typed(name, input);
  return t === undefined ? undefined : text + t;
}

/**
 * The whole keyboard, as a pure function of the state and one key: an open dialog takes every key first (Esc
 * always cancels it), then the filter being typed, then the keymap table.
 */
export function handleKey(s: UIState, name: string, input: string, bindings: KeyBindings): KeyOutcome {
  if (s.dialog) return dialogKey(s, s.dialog, name, input, bindings);
  if (s.editingFilter) {
    if (name === 'escape')
      return {
        actions: [
          { type: 'setFilter', text: '' },
          { type: 'editFilter', editing: false },
        ],
      };
    if (name === 'return') return { actions: [{ type: 'editFilter', editing: false }] };
    const next = edit(s.filters[s.focus], name, input);
    return next === undefined ? none : { actions: [{ type: 'setFilter', text: next }] };
  }
  if (name === 'escape' && s.filters[s.focus]) return { actions: [{ type: 'setFilter', text: '' }] };
  const command = commandFor(bindings, name);
  switch (command) {
    case undefined:
      return none;
    case 'quit':
      return { actions: [], effect: { kind: 'quit' } };
    case 'help':
      return dialog({ kind: 'help' });
    case 'nextPane':
    case 'paneRight':
      return { actions: [{ type: 'cyclePane', step: 1 }] };
    case 'prevPane':
    case 'paneLeft':
      return { actions: [{ type: 'cyclePane', step: -1 }] };
    case 'up':
      return { actions: [{ type: 'move', delta: -1 }] };
    case 'down':
      return { actions: [{ type: 'move', delta: 1 }] };
    case 'filter':
      return { actions: [{ type: 'editFilter', editing: true }] };
    case 'details':
      return details(s);
    case 'attach': {
      const list = attachable(s);
      const current = s.focus === 'containers' ? selectedContainer(s)?.name : undefined;
      return dialog({
        kind: 'attachPick',
        selected: Math.max(
          0,
          list.findIndex((c) => c.name === current),
        ),
      });
    }
    case 'detach':
      return detach(s);
    case 'launch':
      return dialog({ kind: 'unavailable', title: 'Launch router', message: NOT_BUILT.launch });
    case 'connect':
      return dialog({ kind: 'unavailable', title: 'Connect peer', message: NOT_BUILT.connect });
    case 'forget':
      return dialog({ kind: 'unavailable', title: 'Forget peer', message: NOT_BUILT.forget });
    case 'reset':
      return dialog({ kind: 'unavailable', title: 'Reset router', message: NOT_BUILT.reset });
    case 'addPing':
      return dialog({ kind: 'unavailable', title: 'Add ping check', message: NOT_BUILT.addPing });
    case 'dockerd':
      return dialog({ kind: 'unavailable', title: 'dockerd options', message: NOT_BUILT.dockerd });
  }
}

function details(s: UIState): KeyOutcome {
  const i = selectedIndex(s, s.focus);
  const row =
    s.focus === 'containers'
      ? containerRows(s)[i]?.name
      : s.focus === 'traffic'
        ? trafficRows(s)[i]?.id
        : s.focus === 'peers'
          ? peerRows(s)[i]?.name
          : pingRows(s)[i] && `${pingRows(s)[i]!.source}->${pingRows(s)[i]!.target}`;
  if (row === undefined) return none;
  return dialog({ kind: 'details', pane: s.focus, row });
}

function detach(s: UIState): KeyOutcome {
  const c = s.focus === 'containers' ? selectedContainer(s) : undefined;
  if (!c?.attachment) {
    return {
      actions: [
        {
          type: 'event',
          event: {
            at: Date.now(),
            level: 'error',
            text: 'detach: select an attached container in Containers first',
          },
        },
      ],
    };
  }
  const cidrs = c.attachment.cidrs;
  const intent: Intent = { kind: 'detach', container: c.name, cidrs: [] };
  if (cidrs.length <= 1) {
    return dialog({
      kind: 'confirm',
      title: 'Detach',
      message: `Detach ${cidrs[0] ?? 'its interface'} from ${c.name}? ${c.attachment.ifname} is removed.`,
      intent,
      busy: false,
    });
  }
  return dialog({
    kind: 'typeConfirm',
    title: 'Detach all',
    message: `Detach all ${cidrs.length} addresses (${cidrs.join(', ')}) from ${c.name} and remove ${c.attachment.ifname}.`,
    expect: c.name,
    typed: '',
    intent,
    busy: false,
  });
}

function dialogKey(s: UIState, d: Dialog, name: string, input: string, bindings: KeyBindings): KeyOutcome {
  if (name === 'escape') return dialog(undefined);
  switch (d.kind) {
    case 'help':
      return commandFor(bindings, name) === 'help' || name === 'q' || name === 'return'
        ? dialog(undefined)
        : none;
    case 'details':
    case 'unavailable':
      return name === 'return' ? dialog(undefined) : none;
    case 'attachPick': {
      const list = attachable(s);
      const cmd = commandFor(bindings, name);
      if (cmd === 'up' || cmd === 'down') {
        const at = Math.max(0, Math.min(list.length - 1, d.selected + (cmd === 'up' ? -1 : 1)));
        return dialog({ ...d, selected: at });
      }
      const c = list[Math.min(d.selected, list.length - 1)];
      if (name === 'return' && c)
        return dialog({ kind: 'attachCidr', container: c.name, input: '', busy: false });
      return none;
    }
    case 'attachCidr': {
      if (d.busy) return none;
      if (name === 'tab') {
        const suggestion = suggestCidr(s.containers);
        return suggestion ? dialog({ ...d, input: suggestion, error: undefined }) : none;
      }
      if (name === 'return') {
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
      if (name === 'y' || name === 'Y' || name === 'return')
        return { actions: [{ type: 'dialog', dialog: { ...d, busy: true } }], effect: d.intent };
      if (name === 'n' || name === 'N') return dialog(undefined);
      return none;
    case 'typeConfirm': {
      if (d.busy) return none;
      if (name === 'return') {
        return d.typed === d.expect
          ? { actions: [{ type: 'dialog', dialog: { ...d, busy: true } }], effect: d.intent }
          : none;
      }
      const next = edit(d.typed, name, input);
      return next === undefined ? none : dialog({ ...d, typed: next });
    }
  }
}
