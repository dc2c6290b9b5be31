import { DEFAULT_DRIVER, describeDriver } from '../../router/descriptions.js';
import type { Dialog, UIState } from '../state/model.js';
import { pingSources } from '../state/rows.js';
import { pingTargetError } from '../keys/dialogKeys.js';
import { launchFields, type LaunchField, type LaunchForm } from '../state/model.js';
import { keyFor, type KeyBindings } from '../keys/keyBindings.js';
import type { Theme } from '../theme/tokens.js';
import { para, type DialogLine } from './DialogBox.js';

export interface DialogView {
  title: string;
  lines: DialogLine[];
}

/** A field's label and empty-field text, from the driver's description (the driver is chosen, not typed). */
function fieldSpec(driver: LaunchForm['driver'], f: LaunchField): { label: string; placeholder: string } {
  return f === 'driver'
    ? { label: 'driver', placeholder: '' }
    : describeDriver(driver).launch.find((x) => x.key === f)!;
}

/** The driver's note under the form: what it is, or that it is not built yet. */
function driverNote(driver: LaunchForm['driver']): string {
  const d = describeDriver(driver);
  if (!d.built) return `${d.name}: not built yet; launch says so and changes nothing`;
  return `${d.name}${d.name === DEFAULT_DRIVER ? ' is the default' : ''}: ${d.summary}`;
}

const working = (theme: Theme, what: string): DialogLine => ({
  text: `${what}${theme.glyph.ellipsis}`,
  color: theme.color.warn,
});

/** The launch form, connect, forget and add-ping dialogs, as lines for the dialog box. */
export function routerDialog(
  s: UIState,
  d: Dialog,
  theme: Theme,
  inner: number,
  bindings: KeyBindings,
): DialogView | undefined {
  const err = (e: string | undefined): DialogLine[] => (e ? para(e, inner, theme.color.error) : []);
  switch (d.kind) {
    case 'launch': {
      const lines: DialogLine[] = launchFields(d.form.driver).map((f, i) => {
        const on = i === d.field && !d.busy;
        const value =
          f === 'driver'
            ? `${theme.glyph.arrow === '->' ? '<' : '‹'} ${d.form.driver} ${theme.glyph.arrow === '->' ? '>' : '›'}`
            : d.form[f] || (on ? '' : fieldSpec(d.form.driver, f).placeholder);
        return {
          text: `${on ? theme.glyph.bullet : ' '} ${fieldSpec(d.form.driver, f).label.padEnd(13)} ${value}${on && f !== 'driver' ? theme.glyph.caret : ''}`,
          bold: on,
          ...(!d.form[f] && f !== 'driver' && !on ? { color: theme.color.muted } : {}),
        };
      });
      const r = s.router.available && s.router.data.state !== 'not-launched' ? s.router.data : undefined;
      const muted = theme.color.muted;
      if (r && r.driver === d.form.driver)
        lines.push(
          ...para(
            `now: ${r.driver} ${r.state}; launching again keeps its settings and adds peers`,
            inner,
            muted,
          ),
        );
      else if (r && !d.error)
        // Another driver: what it is, and (before Enter refuses it) that switching takes a reset.
        lines.push(
          ...para(
            `${driverNote(d.form.driver)}. Now ${r.driver} ${r.state}: switching needs a reset first (${keyFor(bindings, 'cancel')}, then ${keyFor(bindings, 'reset')} on the Peers pane).`,
            inner,
            muted,
          ),
        );
      else lines.push({ text: driverNote(d.form.driver), color: muted });
      if (d.busy) lines.push(working(theme, 'launching'));
      // What the operator waits through (bridge: the check and its automatic rollback).
      const launching = describeDriver(d.form.driver).launching;
      if (d.busy && launching) lines.push(...para(launching, inner, theme.color.warn));
      lines.push(...err(d.error));
      if (d.hint) lines.push(...para(d.hint, inner, theme.color.warn));
      return { title: 'Launch the mesh router', lines };
    }
    case 'connect':
      return {
        title: 'Connect to a peer',
        lines: [
          { text: `peer: ${d.input}${d.busy ? '' : theme.glyph.caret}`, bold: true },
          {
            text: "a peer's underlay address (host or host:port); one is enough, gossip finds the rest",
            color: theme.color.muted,
          },
          ...(d.busy ? [working(theme, 'connecting')] : []),
          ...err(d.error),
        ],
      };
    case 'rotateKey':
      return {
        title: 'Rotate the mesh key',
        lines: [
          { text: `new password file: ${d.input}${d.busy ? '' : theme.glyph.caret}`, bold: true },
          {
            text: 'read by the agent (first line); every alive member takes the new key, none drops out',
            color: theme.color.muted,
          },
          ...(d.busy ? [working(theme, 'rotating')] : []),
          ...err(d.error),
        ],
      };
    case 'forget':
      return {
        title: 'Forget a connection target',
        lines: [
          ...d.targets.map((t, i) => {
            const c = s.router.available ? s.router.data.connections.find((x) => x.target === t) : undefined;
            return { text: `${t.padEnd(22)} ${c?.state ?? ''}`, inverse: i === d.selected };
          }),
          {
            text: 'stops (re)connecting to it; a peer alive in gossip stays in the mesh',
            color: theme.color.muted,
          },
          ...(d.busy ? [working(theme, 'forgetting')] : []),
          ...err(d.error),
        ],
      };
    case 'addPing': {
      const sources = pingSources(s);
      const caret = !d.busy ? theme.glyph.caret : '';
      const name = (x: string): string => x || '(this host)';
      const live = d.target ? pingTargetError(d.target) : undefined;
      // The picker shows a few sources around the chosen one while it has the focus, only the choice after.
      const at = Math.max(0, sources.indexOf(d.from));
      const first = Math.max(0, Math.min(at - 2, sources.length - 5));
      const picker: DialogLine[] =
        d.field === 0
          ? sources.slice(first, first + 5).map((x) => ({
              text: `          ${name(x)}`,
              inverse: x === d.from,
            }))
          : [];
      return {
        title: 'Add a ping check',
        lines: [
          {
            text: `${d.field === 0 ? theme.glyph.bullet : ' '} from    ${name(d.from)}`,
            bold: d.field === 0,
          },
          ...picker,
          {
            text: `${d.field === 1 ? theme.glyph.bullet : ' '} target  ${d.target}${d.field === 1 ? caret : ''}`,
            bold: d.field === 1,
          },
          d.target && !d.error
            ? live
              ? { text: live, color: theme.color.warn }
              : { text: `${d.target.trim()}: an address the agent accepts`, color: theme.color.ok }
            : {
                text:
                  d.field === 0
                    ? `${keyFor(bindings, 'up')}/${keyFor(bindings, 'down')} picks where probes leave from`
                    : 'target: an IP address, e.g. 172.25.11.24',
                color: theme.color.muted,
              },
          ...(d.busy ? [working(theme, 'adding')] : []),
          ...err(d.error),
        ],
      };
    }
    default:
      return undefined;
  }
}
