import { describe, expect, it } from 'vitest';
import { handleKey } from '../../src/ui/keys/handleKey.js';
import { defaultKeyBindings, keyConflicts, keyName, splitInput } from '../../src/ui/keys/keyBindings.js';
import type { UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { liveState } from './fixtures.js';

/** Presses keys through the pure handler and reducer, as the keyboard hook does; returns state and effects. */
function press(s: UIState, ...keys: string[]) {
  const effects = [];
  for (const k of keys) {
    const named = (
      { Enter: 'return', Esc: 'escape', Down: 'down', Up: 'up', Tab: 'tab' } as Record<string, string>
    )[k];
    for (const { name, input } of named ? [{ name: named, input: '' }] : splitInput(k, {})) {
      const out = handleKey(s, name, input, defaultKeyBindings);
      s = out.actions.reduce(reducer, s);
      if (out.effect) effects.push(out.effect);
    }
  }
  return { s, effects };
}

describe('keys', () => {
  it('has no key bound twice in the default table', () => {
    expect(keyConflicts(defaultKeyBindings)).toEqual([]);
  });
  it('names keys as the table does', () => {
    expect(keyName('', { tab: true, shift: true })).toBe('shift+tab');
    expect(keyName('c', { ctrl: true })).toBe('ctrl+c');
    expect(splitInput('3/24\r', {}).map((k) => k.name)).toEqual(['3', '/', '2', '4', 'return']);
  });
  it('attach: pick a container, type a CIDR, Enter asks the agent', () => {
    const { s, effects } = press(liveState(), 'a', 'Down', 'Enter', '172.25.11.30/24', 'Enter');
    // attachable is sorted by name: batch is stopped, so cache, db, web; Down from the selected one.
    expect(effects).toEqual([{ kind: 'attach', container: 'web', cidr: '172.25.11.30/24' }]);
    expect(s.dialog).toMatchObject({ kind: 'attachCidr', busy: true });
  });
  it('attach: an invalid CIDR stays in the dialog with the reason; Tab takes the suggestion', () => {
    let r = press(
      { ...liveState(), selected: { ...liveState().selected, containers: 2 } },
      'a',
      'Enter',
      '172.25.11.23/24',
      'Enter',
    );
    expect(r.effects).toEqual([]);
    expect(r.s.dialog).toMatchObject({
      kind: 'attachCidr',
      container: 'cache',
      error: expect.stringContaining('web'),
    });
    r = press(r.s, ...Array(15).fill('\x7f'), 'Tab', 'Enter');
    expect(r.effects).toEqual([{ kind: 'attach', container: 'cache', cidr: '172.25.11.25/24' }]);
  });
  it('detach: y/n for one address; typing the name for several; Esc cancels', () => {
    // Row 1 is web (one address), row 0 is db (two).
    let r = press(liveState(), 'j', 'd');
    expect(r.s.dialog).toMatchObject({ kind: 'confirm' });
    r = press(r.s, 'y');
    expect(r.effects).toEqual([{ kind: 'detach', container: 'web', cidrs: [] }]);
    r = press(liveState(), 'd', 'd', 'Enter');
    expect(r.effects).toEqual([]);
    expect(r.s.dialog).toMatchObject({ kind: 'typeConfirm', typed: 'd' });
    r = press(r.s, 'b', 'Enter');
    expect(r.effects).toEqual([{ kind: 'detach', container: 'db', cidrs: [] }]);
    expect(press(liveState(), 'd', 'Esc').s.dialog).toBeUndefined();
  });
  it('Tab cycles panes, / filters the focused list, Esc clears it, ? opens the help, q quits', () => {
    expect(press(liveState(), 'Tab').s.focus).toBe('traffic');
    const f = press(liveState(), '/', 'web', 'Enter');
    expect(f.s.filters.containers).toBe('web');
    expect(press(f.s, 'Esc').s.filters.containers).toBe('');
    expect(press(liveState(), '?').s.dialog).toEqual({ kind: 'help' });
    expect(press(liveState(), 'q').effects).toEqual([{ kind: 'quit' }]);
  });
  it('features not built yet say so instead of acting', () => {
    for (const k of ['l', 'c', 'f', 'p', 'o']) {
      const d = press(liveState(), k).s.dialog;
      expect(d).toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/not built yet/) });
    }
  });
});
