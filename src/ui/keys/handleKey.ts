// The one pure function from a key press to the next state and effect: the panes' keymap, and the dialogs
// their commands open. A key in an open dialog goes to inDialog.ts.
import { DEFAULT_DRIVER, describeDriver, launchValues } from '../../router/descriptions.js';
import { openDockerd } from '../state/dockerd.js';
import { launchFields, type Dialog, type Intent, type UIState } from '../state/model.js';
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
import type { DialogEffect } from './dialogKeys.js';
import { dialogKey } from './inDialog.js';
import { commandFor, keyFor, type KeyBindings } from './keyBindings.js';
import { edit } from './text.js';
import { openCapture } from '../state/capture.js';

/** What a key asks of the world beyond the screen: the hook that owns the agent connection runs it. */
export type Effect =
  | { kind: 'quit' }
  | { kind: 'redraw' }
  | { kind: 'attach'; container: string; cidr: string }
  | { kind: 'doctorLoad' }
  | { kind: 'reattach'; container: string; cidrs: string[] }
  | Intent
  | DialogEffect;

const eventAction = (text: string): Action => ({
  type: 'event',
  event: { at: Date.now(), level: 'error', text },
});

export interface KeyOutcome {
  actions: Action[];
  effect?: Effect;
}

const none: KeyOutcome = { actions: [] };
const dialog = (d: Dialog | undefined): KeyOutcome => ({ actions: [{ type: 'dialog', dialog: d }] });

/**
 * The whole keyboard, as a pure function of the state and one key: an open dialog takes every key first (Esc
 * always cancels it), then the filter being typed, then the keymap table.
 */
export function handleKey(s: UIState, name: string, input: string, bindings: KeyBindings): KeyOutcome {
  // Redraw works everywhere, a dialog open or not: it changes nothing but the terminal.
  if (commandFor(bindings, name) === 'redraw') return { actions: [], effect: { kind: 'redraw' } };
  if (s.dialog) return dialogKey(s, s.dialog, name, input, bindings);
  const dk = commandFor(bindings, name, 'dialog');
  if (s.editingFilter) {
    if (dk === 'cancel')
      return {
        actions: [
          { type: 'setFilter', text: '' },
          { type: 'editFilter', editing: false },
        ],
      };
    if (dk === 'confirm') return { actions: [{ type: 'editFilter', editing: false }] };
    const next = edit(s.filters[s.focus], name, input);
    return next === undefined ? none : { actions: [{ type: 'setFilter', text: next }] };
  }
  if (dk === 'cancel' && s.filters[s.focus]) return { actions: [{ type: 'setFilter', text: '' }] };
  const command = commandFor(bindings, name);
  switch (command) {
    case undefined:
      return none;
    case 'quit':
      return { actions: [], effect: { kind: 'quit' } };
    case 'help':
      return dialog({ kind: 'help' });
    case 'events':
      return dialog({ kind: 'events', scroll: 0 });
    case 'doctor':
      return {
        actions: [{ type: 'dialog', dialog: { kind: 'doctor', scroll: 0 } }],
        effect: { kind: 'doctorLoad' },
      };
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
      // The highlighted row if it can be attached; else the first container that is not attached yet, so Enter
      // does not attach an attached one again.
      const sel = s.focus === 'containers' ? selectedContainer(s) : undefined;
      const current = sel?.running && !sel.attachment ? sel.name : list.find((c) => !c.attachment)?.name;
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
    case 'reattach': {
      const c = s.focus === 'containers' ? selectedContainer(s) : undefined;
      if (!c?.attachment)
        return { actions: [eventAction('re-attach: select an attached container in Containers first')] };
      if (!c.running)
        return { actions: [eventAction(`re-attach: ${c.name} is not running; start it first`)] };
      return {
        actions: [
          { type: 'event', event: { at: Date.now(), level: 'info', text: `re-attaching ${c.name}…` } },
        ],
        effect: { kind: 'reattach', container: c.name, cidrs: c.attachment.cidrs },
      };
    }
    case 'capture': {
      const view = openCapture(s);
      return typeof view === 'string' ? { actions: [eventAction(view)] } : dialog(view);
    }
    case 'launch':
      return dialog(launchForm(s));
    case 'setMtu': {
      // The MTU the selected peer's path needs (else any peer's smallest), from telemetry's path MTU probe.
      const peer = s.focus === 'peers' ? peerRows(s)[selectedIndex(s, 'peers')] : undefined;
      const wanted = s.pmtu.filter((m) => m.state === 'mismatch' && m.suggestedMtu !== null);
      const pick =
        wanted.find((m) => m.peer === peer?.address) ??
        wanted.sort((x, y) => x.suggestedMtu! - y.suggestedMtu!)[0];
      if (!pick)
        return {
          actions: [eventAction('set MTU: no peer path is smaller than the overlay MTU; nothing to set')],
        };
      const form = launchForm(s);
      const field = launchFields(form.form.driver).indexOf('mtu');
      if (field < 0)
        return { actions: [eventAction(`set MTU: the ${form.form.driver} driver does not take an MTU`)] };
      return dialog({ ...form, form: { ...form.form, mtu: String(pick.suggestedMtu) }, field });
    }
    case 'connect':
      return dialog({ kind: 'connect', input: '', busy: false });
    case 'forget': {
      const targets = s.router.available ? s.router.data.connections.map((c) => c.target) : [];
      if (targets.length === 0)
        return {
          actions: [
            eventAction(
              `forget: no connection targets to forget (${keyFor(bindings, 'connect')} connects one)`,
            ),
          ],
        };
      const peer = s.focus === 'peers' ? peerRows(s)[selectedIndex(s, 'peers')] : undefined;
      const at = targets.findIndex((t) => peer && t.split(':')[0] === peer.address);
      return dialog({ kind: 'forget', targets, selected: Math.max(0, at), busy: false });
    }
    case 'reset': {
      const r = s.router.available ? s.router.data : undefined;
      const expect = r?.nickname ?? 'reset';
      return dialog({
        kind: 'typeConfirm',
        title: 'Reset the router',
        message: `Reset removes what the router created on this host: ${describeDriver(r?.driver ?? DEFAULT_DRIVER).resetRemoves} and its settings (${r?.driver ?? 'no'} driver${r?.peers.length ? `, ${r.peers.length} peer(s) known` : ''}). Attachments stay. Needed before switching drivers.`,
        expect,
        typed: '',
        intent: { kind: 'reset' },
        busy: false,
      });
    }
    case 'rotateKey':
      return dialog({ kind: 'rotateKey', input: '', busy: false });
    case 'addPing':
      return dialog({ kind: 'addPing', from: '', target: '', field: 0, busy: false });
    case 'dockerd':
      return { actions: [{ type: 'dialog', dialog: openDockerd() }], effect: { kind: 'dockerdLoad' } };
    default:
      return none;
  }
}

/** The launch form, filled from the running router's settings. */
function launchForm(s: UIState): Extract<Dialog, { kind: 'launch' }> {
  const r = s.router.available && s.router.data.state !== 'not-launched' ? s.router.data : undefined;
  return {
    kind: 'launch',
    form: {
      driver: r?.driver ?? DEFAULT_DRIVER,
      nickname: '',
      range: '',
      peers: '',
      passwordFile: '',
      subnet: '',
      mtu: '',
      ...(r ? launchValues(r) : {}),
    },
    field: 1,
    busy: false,
  };
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
          : pingRows(s)[i]?.id;
  if (row === undefined) return none;
  return dialog({ kind: 'details', pane: s.focus, row });
}

function detach(s: UIState): KeyOutcome {
  const c = s.focus === 'containers' ? selectedContainer(s) : undefined;
  if (!c?.attachment)
    return { actions: [eventAction('detach: select an attached container in Containers first')] };
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
