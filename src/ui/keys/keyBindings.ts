// The keymap is one table (command -> keys, label, help, scope) so that `?`, the footer, remapping and
// conflict checks read the same rows; most of the length is that table. Key names are in keyNames.ts.
import type { PaneId } from '../compute/panes.js';
import { displayKey } from './keyNames.js';

/**
 * Every key the UI answers to, as one table: command -> keys, with the words the footer and the help overlay
 * show. Users remap commands in config.json ("keys": {"attach": ["A"]}); nothing else in the UI names a key.
 * `l` is launch (as the operator's `weave launch` habit expects), so of hjkl only h, j, k move: → moves right.
 */
export const COMMANDS = [
  'quit',
  'help',
  'redraw',
  'nextPane',
  'prevPane',
  'paneLeft',
  'paneRight',
  'up',
  'down',
  'details',
  'filter',
  'attach',
  'detach',
  'reattach',
  'capture',
  'launch',
  'connect',
  'forget',
  'setMtu',
  'addPing',
  'dockerd',
  'events',
  'doctor',
  'reset',
  'rotateKey',
  'dockerdEdit',
  'dockerdUnset',
  'dockerdRevert',
  'dockerdDiff',
  'dockerdApply',
  'dockerdRollback',
  'confirm',
  'cancel',
  'nextField',
  'prevField',
  'yes',
  'no',
  'dockerdStartContainers',
] as const;
export type Command = (typeof COMMANDS)[number];

export interface Binding {
  keys: string[];
  /** Short word for the footer. */
  label: string;
  /** One line for the help overlay. */
  help: string;
  /** Panes whose footer lists it; absent: shown everywhere. */
  panes?: readonly PaneId[];
  /** Whether the footer lists it at all (movement keys are only in the help). */
  footer: boolean;
  /** Where the key works: the main screen (absent), inside the dockerd options editor, or in any dialog. */
  scope?: 'dockerd' | 'dialog';
}

export type KeyBindings = Record<Command, Binding>;

export const defaultKeyBindings: KeyBindings = {
  quit: { keys: ['q', 'ctrl+c'], label: 'quit', help: 'quit (the agent stays)', footer: true },
  help: { keys: ['?'], label: 'help', help: 'this help', footer: true },
  redraw: { keys: ['ctrl+l'], label: 'redraw', help: 'redraw the screen', footer: false },
  nextPane: { keys: ['tab'], label: 'next pane', help: 'next pane', footer: false },
  prevPane: { keys: ['shift+tab'], label: 'prev pane', help: 'previous pane', footer: false },
  paneLeft: { keys: ['left', 'h'], label: 'pane left', help: 'pane to the left', footer: false },
  paneRight: { keys: ['right'], label: 'pane right', help: 'pane to the right', footer: false },
  up: { keys: ['up', 'k'], label: 'up', help: 'select the row above', footer: false },
  down: { keys: ['down', 'j'], label: 'down', help: 'select the row below', footer: false },
  details: { keys: ['return'], label: 'details', help: 'details of the row', footer: true },
  filter: { keys: ['/'], label: 'filter', help: 'filter the list', footer: true },
  attach: {
    keys: ['a'],
    label: 'attach',
    help: 'attach a container',
    panes: ['containers'],
    footer: true,
  },
  detach: {
    keys: ['d'],
    label: 'detach',
    help: 'detach the container',
    panes: ['containers'],
    footer: true,
  },
  reattach: {
    keys: ['r'],
    label: 're-attach',
    help: 're-attach: repair drift',
    panes: ['containers'],
    footer: true,
  },
  capture: {
    keys: ['w'],
    label: 'capture',
    help: 'capture packets, live',
    panes: ['containers', 'peers'],
    footer: true,
  },
  launch: { keys: ['l'], label: 'launch', help: 'launch the mesh router', panes: ['peers'], footer: true },
  connect: { keys: ['c'], label: 'connect', help: 'connect a peer', panes: ['peers'], footer: true },
  forget: { keys: ['f'], label: 'forget', help: 'forget the selected peer', panes: ['peers'], footer: true },
  setMtu: {
    keys: ['m'],
    label: 'set MTU',
    help: 'set the overlay MTU a peer path needs',
    panes: ['peers'],
    footer: true,
  },
  addPing: { keys: ['p'], label: 'add check', help: 'add a ping check', panes: ['pings'], footer: true },
  dockerd: { keys: ['o'], label: 'dockerd opts', help: 'dockerd bridge options', footer: true },
  events: { keys: ['e'], label: 'events', help: 'health events (the agent keeps them)', footer: true },
  doctor: { keys: ['D'], label: 'doctor', help: 'preflight: what works here, what to do', footer: true },
  reset: {
    keys: ['R'],
    label: 'reset',
    help: 'reset router (type name)',
    panes: ['peers'],
    footer: true,
  },
  rotateKey: {
    keys: ['K'],
    label: 'rotate key',
    help: 'rotate the mesh key (type name)',
    panes: ['peers'],
    // Rare and behind a typed confirmation: listed in `?`, not worth footer room.
    footer: false,
  },
  dockerdEdit: {
    keys: ['return', 'e'],
    label: 'edit',
    help: 'in o: edit the value',
    footer: true,
    scope: 'dockerd',
  },
  dockerdUnset: {
    keys: ['u'],
    label: 'unset',
    help: 'in o: unset to default',
    footer: true,
    scope: 'dockerd',
  },
  dockerdRevert: {
    keys: ['x'],
    label: 'revert',
    help: 'in o: drop the edit',
    footer: true,
    scope: 'dockerd',
  },
  dockerdDiff: {
    keys: ['d'],
    label: 'diff',
    help: 'in o: diff of the files',
    footer: true,
    scope: 'dockerd',
  },
  dockerdApply: {
    keys: ['a'],
    label: 'apply',
    help: 'in o: apply (type host)',
    footer: true,
    scope: 'dockerd',
  },
  dockerdRollback: {
    keys: ['r'],
    label: 'rollback',
    help: 'in o: roll back',
    footer: true,
    scope: 'dockerd',
  },
  confirm: {
    keys: ['return'],
    label: 'confirm',
    help: 'in a dialog: confirm',
    footer: false,
    scope: 'dialog',
  },
  cancel: {
    keys: ['escape'],
    label: 'cancel',
    help: 'cancel, step back, clear filter',
    footer: false,
    scope: 'dialog',
  },
  nextField: {
    keys: ['tab'],
    label: 'next field',
    help: 'in a dialog: next field (attach: suggest)',
    footer: false,
    scope: 'dialog',
  },
  prevField: {
    keys: ['shift+tab'],
    label: 'prev field',
    help: 'in a dialog: previous field',
    footer: false,
    scope: 'dialog',
  },
  yes: { keys: ['y', 'Y'], label: 'yes', help: 'in a y/n dialog: yes', footer: false, scope: 'dialog' },
  no: { keys: ['n', 'N'], label: 'no', help: 'in a y/n dialog: no', footer: false, scope: 'dialog' },
  dockerdStartContainers: {
    keys: ['s'],
    label: 'start',
    help: 'in o, after apply: start the stopped containers',
    footer: false,
    scope: 'dockerd',
  },
};

export { displayKey, keyName, splitInput, type KeyEvent } from './keyNames.js';

export type Scope = 'main' | 'dockerd' | 'dialog';
const scopeOf = (b: Binding): Scope => b.scope ?? 'main';

export function commandFor(bindings: KeyBindings, name: string, scope: Scope = 'main'): Command | undefined {
  return COMMANDS.find((c) => scopeOf(bindings[c]) === scope && bindings[c].keys.includes(name));
}

/** Keys bound to more than one command where both work: a remap that would make a key ambiguous. */
export function keyConflicts(bindings: KeyBindings): { key: string; commands: Command[] }[] {
  const byKey = new Map<string, Command[]>();
  for (const c of COMMANDS)
    for (const k of bindings[c].keys) {
      const at = `${scopeOf(bindings[c])} ${k}`;
      byKey.set(at, [...(byKey.get(at) ?? []), c]);
    }
  return [...byKey.entries()]
    .filter(([, cs]) => cs.length > 1)
    .map(([at, commands]) => ({ key: at.slice(at.indexOf(' ') + 1), commands }));
}

/** Commands of a scope in table order, for the footer of a dialog that has its own keys. */
export function scopeCommands(bindings: KeyBindings, scope: Scope): Command[] {
  return COMMANDS.filter((c) => scopeOf(bindings[c]) === scope && bindings[c].footer);
}

/** The command's first key as the footer writes it: what a message names, so a remapped key is named right. */
export function keyFor(bindings: KeyBindings, c: Command, arrows = true): string {
  return displayKey(bindings[c].keys[0] ?? '?', arrows);
}

/** The footer's commands for the focused pane: the pane's own first, then the global ones, in table order. */
export function footerCommands(bindings: KeyBindings, pane: PaneId): Command[] {
  const shown = COMMANDS.filter((c) => bindings[c].footer && scopeOf(bindings[c]) === 'main');
  return [
    ...shown.filter((c) => bindings[c].panes?.includes(pane)),
    ...shown.filter((c) => !bindings[c].panes),
  ];
}
