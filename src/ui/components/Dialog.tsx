import { checkCidr, routerRange, suggestCidr } from '../compute/address.js';
import { COMMANDS, displayKey, keyFor, scopeCommands, type KeyBindings } from '../keys/keyBindings.js';
import { fit, wrapWords } from '../compute/layout.js';
import { detailsFor } from '../state/details.js';
import type { Dialog as DialogState, UIState } from '../state/model.js';
import { attachable } from '../state/rows.js';
import type { Theme } from '../theme/tokens.js';
import { DialogBox, para, type DialogLine } from './DialogBox.js';
import { captureView } from './captureView.js';
import { dockerdView } from './dockerdEditor.js';
import { doctorView } from './doctorView.js';
import { eventsView } from './eventsView.js';
import { routerDialog } from './routerDialogs.js';

export interface DialogProps {
  state: UIState;
  dialog: DialogState;
  bindings: KeyBindings;
  theme: Theme;
  /** The area the dialog is centred in (the panes' area). */
  width: number;
  height: number;
}

function keysOf(bindings: KeyBindings, c: (typeof COMMANDS)[number], arrows: boolean): string {
  return bindings[c].keys.map((k) => displayKey(k, arrows)).join('/');
}

/** Every key, from the keymap table itself, in one column or two depending on the room. */
function helpLines(bindings: KeyBindings, theme: Theme, inner: number, rows: number): DialogLine[] {
  const arrows = theme.name !== 'plain';
  const entries = [...COMMANDS.map((c) => [keysOf(bindings, c, arrows), bindings[c].help] as const)];
  const perCol = entries.length <= rows ? entries.length : Math.ceil(entries.length / 2);
  const colWidth = perCol === entries.length ? inner : Math.floor((inner - 2) / 2);
  const cell = ([k, h]: readonly [string, string]): string =>
    fit(`${k.padEnd(9)} ${h}`, colWidth, theme.glyph.ellipsis);
  const out: DialogLine[] = [];
  for (let i = 0; i < perCol; i++) {
    const second = perCol === entries.length ? undefined : entries[i + perCol];
    out.push({ text: cell(entries[i]!) + (second ? '  ' + cell(second) : '') });
  }
  return out;
}

/** The open dialog, drawn over the panes. */
export function Dialog({ state, dialog, bindings, theme, width, height }: DialogProps) {
  const boxWidth = Math.min(
    width - 4,
    dialog.kind === 'help' ||
      dialog.kind === 'events' ||
      dialog.kind === 'doctor' ||
      dialog.kind === 'capture'
      ? 110
      : dialog.kind === 'dockerd'
        ? 100
        : 64,
  );
  const inner = boxWidth - 4;
  let title = '';
  let lines: DialogLine[] = [];
  const errorLine = (e: string | undefined): DialogLine[] => (e ? para(e, inner, theme.color.error) : []);
  switch (dialog.kind) {
    case 'help':
      title = `Keys (${keyFor(bindings, 'cancel', theme.name !== 'plain')} closes)`;
      lines = helpLines(bindings, theme, inner, height - 3);
      break;
    case 'events':
      ({ title, lines } = eventsView(state, dialog.scroll, theme, inner, Math.max(1, height - 3)));
      break;
    case 'doctor':
      ({ title, lines } = doctorView(dialog, theme, inner, Math.max(1, height - 3)));
      break;
    case 'capture':
      ({ title, lines } = captureView(dialog, theme, inner, Math.max(4, height - 3), bindings));
      break;
    case 'details': {
      const d = detailsFor(state, dialog.pane, dialog.row, bindings);
      title = d.title;
      // Values wrap under their own column: a Weave connection's "why sleeve" is the answer, not a teaser.
      lines = d.fields.flatMap(([k, v]) =>
        k
          ? wrapWords(v || '-', inner - 15).map((t, i) => ({ text: `${(i === 0 ? k : '').padEnd(14)} ${t}` }))
          : [{ text: v }],
      );
      break;
    }
    case 'attachPick': {
      const list = attachable(state);
      title = 'Attach: pick a running container';
      const room = Math.max(1, height - 5);
      const start = Math.max(0, Math.min(dialog.selected - room + 1, list.length - room));
      lines = list.length
        ? list.slice(start, start + room).map((c, i) => ({
            text: `${c.name.padEnd(18)} ${c.attachment ? c.attachment.cidrs.join(',') : 'not attached'}`,
            inverse: start + i === dialog.selected,
          }))
        : para('no running containers on this host: start one with docker run', inner, theme.color.warn);
      break;
    }
    case 'attachCidr': {
      const check = checkCidr(dialog.input, state.containers, dialog.container);
      const range = routerRange(state.router);
      const suggestion = suggestCidr(state.containers, range);
      title = `Attach ${dialog.container}: address`;
      lines = [
        { text: `CIDR: ${dialog.input}${dialog.busy ? '' : theme.glyph.caret}`, bold: true },
        check.ok
          ? { text: `${theme.glyph.bullet} ${check.cidr} is valid`, color: theme.color.ok }
          : { text: check.message, color: check.empty ? theme.color.muted : theme.color.error },
        {
          text: suggestion
            ? `suggested free address: ${suggestion} (Tab takes it)`
            : 'no free address to suggest',
          color: theme.color.muted,
        },
        // Said apart: a suggestion outside the subnet the operator used before should not surprise.
        ...(range ? [{ text: `inside the router's range ${range}`, color: theme.color.muted }] : []),
        ...(dialog.busy ? [{ text: `attaching${theme.glyph.ellipsis}`, color: theme.color.warn }] : []),
        ...errorLine(dialog.error),
      ];
      break;
    }
    case 'confirm':
      title = dialog.title;
      lines = [
        ...para(dialog.message, inner),
        ...(dialog.busy ? [{ text: `working${theme.glyph.ellipsis}`, color: theme.color.warn }] : []),
        ...errorLine(dialog.error),
      ];
      break;
    case 'launch':
    case 'connect':
    case 'rotateKey':
    case 'forget':
    case 'addPing':
      ({ title, lines } = routerDialog(state, dialog, theme, inner, bindings)!);
      break;
    case 'dockerd':
      ({ title, lines } = dockerdView(state, dialog, theme, inner, Math.max(3, height - 3), bindings));
      break;
    case 'typeConfirm': {
      const matches = dialog.typed === dialog.expect;
      title = dialog.title;
      lines = [
        ...para(dialog.message, inner),
        {
          text: `Type ${dialog.expect} to confirm: ${dialog.typed}${dialog.busy ? '' : theme.glyph.caret}`,
          bold: true,
        },
        {
          text: matches
            ? `${keyFor(bindings, 'confirm', theme.name !== 'plain')} confirms`
            : 'the name does not match yet',
          color: matches ? theme.color.ok : theme.color.muted,
        },
        ...(dialog.busy ? [{ text: `working${theme.glyph.ellipsis}`, color: theme.color.warn }] : []),
        ...errorLine(dialog.error),
      ];
      break;
    }
  }
  const boxHeight = lines.length + 3;
  return (
    <DialogBox
      title={title}
      lines={lines}
      width={boxWidth}
      left={Math.floor((width - boxWidth) / 2)}
      top={Math.max(0, Math.floor((height - boxHeight) / 3))}
      theme={theme}
    />
  );
}

/** The footer while a dialog is open. */
export function dialogHints(dialog: DialogState, theme: Theme, bindings: KeyBindings): [string, string][] {
  const arrows = theme.name !== 'plain';
  const ok = keyFor(bindings, 'confirm', arrows);
  const esc = keyFor(bindings, 'cancel', arrows);
  const tab = keyFor(bindings, 'nextField', arrows);
  switch (dialog.kind) {
    case 'launch':
      return [
        [theme.glyph.up + theme.glyph.down + '/' + tab, 'field'],
        [arrows ? '←→' : 'Left/Right', 'driver'],
        [ok, 'launch'],
        [esc, 'cancel'],
      ];
    case 'connect':
      return [
        ['type', 'address'],
        [ok, 'connect'],
        [esc, 'cancel'],
      ];
    case 'rotateKey':
      return [
        ['type', 'file'],
        [ok, 'next'],
        [esc, 'cancel'],
      ];
    case 'forget':
      return [
        [theme.glyph.up + theme.glyph.down, 'choose'],
        [ok, 'forget'],
        [esc, 'cancel'],
      ];
    case 'addPing':
      return [
        [tab, 'field'],
        [ok, 'add'],
        [esc, 'cancel'],
      ];
    case 'dockerd':
      switch (dialog.phase) {
        case 'list':
          return [
            [theme.glyph.up + theme.glyph.down, 'choose'],
            [esc, 'close'],
            ...scopeCommands(bindings, 'dockerd').map(
              (c) => [displayKey(bindings[c].keys[0]!, arrows), bindings[c].label] as [string, string],
            ),
          ];
        case 'edit':
          return [
            ['type', 'value'],
            [ok, 'keep'],
            [esc, 'back'],
          ];
        case 'diff':
          return [
            [theme.glyph.up + theme.glyph.down, 'scroll'],
            [displayKey(bindings.dockerdApply.keys[0]!, arrows), bindings.dockerdApply.label],
            [esc, 'back'],
          ];
        case 'confirm':
          return [
            ['type', 'the host name'],
            [ok, 'go'],
            [esc, 'back'],
          ];
        case 'applying':
          return [['wait', 'dockerd is restarting']];
        case 'result':
          return [
            [ok, 'back'],
            [esc, 'back'],
          ];
      }
      break;
    case 'help':
    case 'details':
      return [[esc, 'close']];
    case 'capture':
      return dialog.editing !== undefined
        ? [
            ['type', 'a kernel filter'],
            [ok, 'apply'],
            [esc, 'keep the old one'],
          ]
        : [
            [keyFor(bindings, 'filter', arrows), 'filter'],
            [esc, 'close (ends the capture)'],
          ];
    case 'doctor':
    case 'events':
      return [
        [theme.glyph.up + theme.glyph.down, 'scroll'],
        [esc, 'close'],
      ];
    case 'attachPick':
      return [
        [theme.glyph.up + theme.glyph.down, 'choose'],
        [ok, 'next'],
        [esc, 'cancel'],
      ];
    case 'attachCidr':
      return [
        ['type', 'CIDR'],
        [tab, 'use suggestion'],
        [ok, 'attach'],
        [esc, 'cancel'],
      ];
    case 'confirm':
      return [
        [keyFor(bindings, 'yes', arrows), 'yes'],
        [keyFor(bindings, 'no', arrows), 'no'],
        [esc, 'cancel'],
      ];
    case 'typeConfirm':
      return [
        ['type', 'the name'],
        [ok, 'confirm'],
        [esc, 'cancel'],
      ];
  }
}
