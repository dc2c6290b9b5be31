import { DriverName } from '../../router/driver.js';
import { changesOf, stoppedAfter, type DockerdEditor } from '../state/dockerd.js';
import { launchFields, type Dialog, type LaunchForm, type UIState } from '../state/model.js';
import type { Action } from '../state/reducer.js';
import { commandFor, keyFor, type KeyBindings } from './keyBindings.js';
import { edit } from './text.js';
import { XnetError } from '../../errors.js';
import { parseTarget } from '../../telemetry/target.js';

/** What a key in these dialogs asks of the agent; the hook that owns the connection runs it. */
export type DialogEffect =
  | { kind: 'launch'; form: LaunchForm }
  | { kind: 'connect'; peers: string[] }
  | { kind: 'forget'; peers: string[] }
  | { kind: 'addPing'; from: string; target: string }
  | { kind: 'dockerdLoad' }
  | { kind: 'dockerdDiff'; edits: Record<string, string | null> }
  | { kind: 'dockerdApply'; edits: Record<string, string | null> }
  | { kind: 'dockerdRollback' }
  | { kind: 'dockerdStartContainers'; containers: string[] };

export interface DialogOutcome {
  actions: Action[];
  effect?: DialogEffect;
}

const none: DialogOutcome = { actions: [] };
const set = (d: Dialog | undefined): DialogOutcome => ({ actions: [{ type: 'dialog', dialog: d }] });
const busy = (d: Dialog, effect: DialogEffect): DialogOutcome => ({
  actions: [{ type: 'dialog', dialog: { ...d, busy: true, error: undefined } as Dialog }],
  effect,
});

/** Peer addresses as typed: separated by spaces or commas. */
export function splitPeers(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

export function launchKey(
  d: Extract<Dialog, { kind: 'launch' }>,
  name: string,
  input: string,
  bindings: KeyBindings,
): DialogOutcome {
  if (d.busy) return none;
  const cmd = commandFor(bindings, name);
  const dk = commandFor(bindings, name, 'dialog');
  const fields = launchFields(d.form.driver);
  const field = fields[d.field]!;
  if (dk === 'nextField' || cmd === 'down') return set({ ...d, field: (d.field + 1) % fields.length });
  if (dk === 'prevField' || cmd === 'up')
    return set({ ...d, field: (d.field + fields.length - 1) % fields.length });
  if (dk === 'confirm') return busy(d, { kind: 'launch', form: d.form });
  if (field === 'driver') {
    const step = name === 'left' ? -1 : name === 'right' || name === ' ' ? 1 : 0;
    if (!step) return none;
    const all = DriverName.options;
    const next = all[(all.indexOf(d.form.driver) + step + all.length) % all.length]!;
    return set({ ...d, form: { ...d.form, driver: next }, error: undefined, hint: undefined });
  }
  const next = edit(d.form[field], name, input);
  return next === undefined ? none : set({ ...d, form: { ...d.form, [field]: next }, error: undefined });
}

export function connectKey(
  d: Extract<Dialog, { kind: 'connect' }>,
  name: string,
  input: string,
  bindings: KeyBindings,
): DialogOutcome {
  if (d.busy) return none;
  if (commandFor(bindings, name, 'dialog') === 'confirm') {
    const peers = splitPeers(d.input);
    if (peers.length === 0) return set({ ...d, error: "type a peer's underlay address, e.g. 198.18.0.2" });
    return busy(d, { kind: 'connect', peers });
  }
  const next = edit(d.input, name, input);
  return next === undefined ? none : set({ ...d, input: next, error: undefined });
}

export function forgetKey(
  d: Extract<Dialog, { kind: 'forget' }>,
  name: string,
  bindings: KeyBindings,
): DialogOutcome {
  if (d.busy) return none;
  const cmd = commandFor(bindings, name);
  if (cmd === 'up' || cmd === 'down') {
    const at = Math.max(0, Math.min(d.targets.length - 1, d.selected + (cmd === 'up' ? -1 : 1)));
    return set({ ...d, selected: at });
  }
  const target = d.targets[d.selected];
  if (commandFor(bindings, name, 'dialog') === 'confirm' && target)
    return busy(d, { kind: 'forget', peers: [target] });
  return none;
}

/** The add-check target as the agent reads it: undefined when valid, else what is wrong (same rule, pure). */
export function pingTargetError(text: string): string | undefined {
  if (!text.trim()) return 'type the address to ping, e.g. 172.25.11.24';
  try {
    parseTarget(text.trim());
    return undefined;
  } catch (e) {
    return e instanceof XnetError ? e.message : String(e);
  }
}

/**
 * The add-check dialog: the source is picked from `sources` (`''` is this host) with up/down, as the attach
 * picker picks a container; the target is typed and checked as it is typed; Tab moves between the two.
 */
export function addPingKey(
  d: Extract<Dialog, { kind: 'addPing' }>,
  name: string,
  input: string,
  bindings: KeyBindings,
  sources: readonly string[],
): DialogOutcome {
  if (d.busy) return none;
  const cmd = commandFor(bindings, name);
  const dk = commandFor(bindings, name, 'dialog');
  if (dk === 'nextField' || dk === 'prevField') return set({ ...d, field: d.field === 0 ? 1 : 0 });
  if (d.field === 0 && (cmd === 'up' || cmd === 'down')) {
    const at = Math.max(0, sources.indexOf(d.from));
    const next = Math.max(0, Math.min(sources.length - 1, at + (cmd === 'up' ? -1 : 1)));
    return set({ ...d, from: sources[next] ?? '', error: undefined });
  }
  if (dk === 'confirm') {
    if (d.field === 0) return set({ ...d, field: 1 });
    const error = pingTargetError(d.target);
    if (error) return set({ ...d, error });
    return busy(d, { kind: 'addPing', from: d.from.trim(), target: d.target.trim() });
  }
  if (d.field === 0) return none;
  const next = edit(d.target, name, input);
  return next === undefined ? none : set({ ...d, target: next, error: undefined });
}

const dockerd = (d: DockerdEditor, update: Partial<DockerdEditor>): DialogOutcome => set({ ...d, ...update });

/** The host name the operator types before dockerd restarts: the bare name, without the lab marker. */
export function hostNameOf(s: UIState): string {
  return s.host.replace(/ \(lab\)$/, '');
}

/**
 * The dockerd editor's keys, by phase. Esc steps back (an edit, the diff, the confirmation) and closes from
 * the list; it does nothing while dockerd restarts, which finishes (or rolls back) by itself.
 */
export function dockerdKey(
  s: UIState,
  d: DockerdEditor,
  name: string,
  input: string,
  bindings: KeyBindings,
): DialogOutcome {
  const move = commandFor(bindings, name);
  const cmd = commandFor(bindings, name, 'dockerd');
  const dk = commandFor(bindings, name, 'dialog');
  const options = d.view?.options ?? [];
  const key = options[Math.min(d.selected, options.length - 1)]?.key;
  switch (d.phase) {
    case 'applying':
      return none;
    case 'result': {
      const stopped = stoppedAfter(d.result);
      if (cmd === 'dockerdStartContainers' && stopped.length > 0)
        return {
          ...dockerd(d, { error: undefined }),
          effect: { kind: 'dockerdStartContainers', containers: stopped.map((c) => c.id) },
        };
      return dk === 'cancel' || dk === 'confirm'
        ? dockerd(d, { phase: 'list', result: undefined, progress: undefined })
        : none;
    }
    case 'edit': {
      if (dk === 'cancel') return dockerd(d, { phase: 'list', check: undefined });
      if (dk === 'confirm' && key) {
        if (d.check?.input === d.input && d.check.state === 'error') return none;
        return dockerd(d, { phase: 'list', edits: { ...d.edits, [key]: d.input }, check: undefined });
      }
      const next = edit(d.input, name, input);
      return next === undefined || !key
        ? none
        : dockerd(d, { input: next, check: { key, input: next, state: 'checking', message: '' } });
    }
    case 'diff':
      if (dk === 'cancel') return dockerd(d, { phase: 'list' });
      if (move === 'up' || move === 'down')
        return dockerd(d, { scroll: Math.max(0, d.scroll + (move === 'up' ? -1 : 1)) });
      if (cmd === 'dockerdApply') return dockerd(d, { phase: 'confirm', confirmFor: 'apply', typed: '' });
      return none;
    case 'confirm': {
      if (dk === 'cancel') return dockerd(d, { phase: 'list', typed: '' });
      if (dk === 'confirm') {
        if (d.typed !== hostNameOf(s)) return none;
        return {
          actions: [
            { type: 'dialog', dialog: { ...d, phase: 'applying', progress: undefined, error: undefined } },
          ],
          effect:
            d.confirmFor === 'apply' ? { kind: 'dockerdApply', edits: d.edits } : { kind: 'dockerdRollback' },
        };
      }
      const next = edit(d.typed, name, input);
      return next === undefined ? none : dockerd(d, { typed: next });
    }
    case 'list': {
      if (dk === 'cancel') return set(undefined);
      if (move === 'up' || move === 'down') {
        const at = Math.max(0, Math.min(options.length - 1, d.selected + (move === 'up' ? -1 : 1)));
        return dockerd(d, { selected: at });
      }
      if (!d.view) return none;
      switch (cmd) {
        case 'dockerdEdit': {
          if (!key) return none;
          const o = options.find((x) => x.key === key)!;
          const staged = d.edits[key];
          const text =
            staged !== undefined && staged !== null
              ? staged
              : o.source === 'default' || o.source === 'conflict' || o.value === null
                ? ''
                : Array.isArray(o.value)
                  ? o.value.map((v) => (typeof v === 'string' ? v : `${v.base}:${v.size}`)).join(',')
                  : String(o.value);
          return dockerd(d, {
            phase: 'edit',
            input: text,
            check: { key, input: text, state: 'checking', message: '' },
          });
        }
        case 'dockerdUnset':
          return key ? dockerd(d, { edits: { ...d.edits, [key]: null } }) : none;
        case 'dockerdRevert': {
          if (!key) return none;
          const { [key]: _dropped, ...rest } = d.edits;
          return dockerd(d, { edits: rest });
        }
        case 'dockerdDiff':
          return {
            ...dockerd(d, { phase: 'diff', scroll: 0, preview: undefined, previewError: undefined }),
            effect: { kind: 'dockerdDiff', edits: d.edits },
          };
        case 'dockerdApply': {
          const { set: toSet, unset } = changesOf(d.edits);
          if (toSet.length + unset.length === 0)
            return dockerd(d, {
              error: `nothing to apply: edit a value first (${keyFor(bindings, 'dockerdEdit')})`,
            });
          return {
            ...dockerd(d, { phase: 'confirm', confirmFor: 'apply', typed: '', preview: undefined }),
            effect: { kind: 'dockerdDiff', edits: d.edits },
          };
        }
        case 'dockerdRollback':
          if (!d.view.backups.length) return dockerd(d, { error: 'no backup to roll back to yet' });
          return dockerd(d, { phase: 'confirm', confirmFor: 'rollback', typed: '' });
        default:
          return none;
      }
    }
  }
}
