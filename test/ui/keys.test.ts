import { pingTargetError } from '../../src/ui/keys/dialogKeys.js';
import { describe, expect, it } from 'vitest';
import { handleKey } from '../../src/ui/keys/handleKey.js';
import { defaultKeyBindings, keyConflicts, keyName, splitInput } from '../../src/ui/keys/keyBindings.js';
import type { DockerdApplyResult } from '../../src/api/index.js';
import type { UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { containerRows } from '../../src/ui/state/rows.js';
import { dockerdView, liveState, meshState } from './fixtures.js';

/** Presses keys through the pure handler and reducer, as the keyboard hook does; returns state and effects. */
function press(s: UIState, ...keys: string[]) {
  const effects = [];
  for (const k of keys) {
    const named = (
      {
        Enter: 'return',
        Esc: 'escape',
        Down: 'down',
        Up: 'up',
        Tab: 'tab',
        'Shift-Tab': 'shift+tab',
        Right: 'right',
        Left: 'left',
      } as Record<string, string>
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
  it('Ctrl-L asks for a redraw on the main screen and inside a dialog, and changes no state', () => {
    const s = liveState();
    expect(keyName('l', { ctrl: true })).toBe('ctrl+l');
    expect(handleKey(s, 'ctrl+l', 'l', defaultKeyBindings)).toEqual({
      actions: [],
      effect: { kind: 'redraw' },
    });
    const inHelp = press(s, '?').s;
    expect(inHelp.dialog?.kind).toBe('help');
    expect(handleKey(inHelp, 'ctrl+l', 'l', defaultKeyBindings)).toEqual({
      actions: [],
      effect: { kind: 'redraw' },
    });
  });
  it('has no key bound twice in the default table', () => {
    expect(keyConflicts(defaultKeyBindings)).toEqual([]);
  });
  it('names keys as the table does', () => {
    expect(keyName('', { tab: true, shift: true })).toBe('shift+tab');
    expect(keyName('c', { ctrl: true })).toBe('ctrl+c');
    expect(splitInput('3/24\r', {}).map((k) => k.name)).toEqual(['3', '/', '2', '4', 'return']);
  });
  it('attach: pick a container, type a CIDR, Enter asks the agent', () => {
    // The highlighted row is db, attached already: the picker starts on the first one that is not (cache;
    // attachable is by name, batch is stopped: cache, db, web), so Enter does not attach db again.
    expect(containerRows(liveState())[0]!.name).toBe('db');
    const first = press(liveState(), 'a');
    expect(first.s.dialog).toMatchObject({ kind: 'attachPick', selected: 0 });
    const { s, effects } = press(liveState(), 'a', 'Down', 'Down', 'Enter', '172.25.11.30/24', 'Enter');
    expect(effects).toEqual([{ kind: 'attach', container: 'web', cidr: '172.25.11.30/24' }]);
    expect(s.dialog).toMatchObject({ kind: 'attachCidr', busy: true });
    expect(press(liveState(), 'a', 'Enter', '172.25.11.30/24', 'Enter').effects).toEqual([
      { kind: 'attach', container: 'cache', cidr: '172.25.11.30/24' },
    ]);
  });
  it('Tab follows the panes as the layout places them, at either size', () => {
    const order = (s: UIState): string[] => {
      const seen = [s.focus as string];
      for (let i = 0; i < 4; i++) seen.push((s = press(s, 'Tab').s).focus);
      return seen;
    };
    const narrow = { ...liveState(), focus: 'peers' as const };
    // 80x24: Peers | Ping checks on top, Containers, then Traffic.
    expect(order(narrow)).toEqual(['peers', 'pings', 'containers', 'traffic', 'peers']);
    // 160x48: Peers over Containers on the left, Traffic over Ping checks on the right.
    const wide = reducer(narrow, { type: 'size', cols: 160, rows: 48 });
    expect(order(wide)).toEqual(['peers', 'containers', 'traffic', 'pings', 'peers']);
    expect(press(wide, 'Shift-Tab').s.focus).toBe('pings');
  });
  it('/ matches container names and addresses, not the interface every attached one has', () => {
    const filtered = (text: string): string[] =>
      containerRows(reducer(liveState(), { type: 'setFilter', text })).map((c) => c.name);
    expect(filtered('ethwe')).toEqual([]);
    expect(filtered('we')).toEqual(['web']);
    expect(filtered('172.25.12')).toEqual(['db']);
    expect(filtered('172.25.11.2')).toEqual(['db', 'web']);
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
  it('l opens the launch form: fields by Tab, the driver by arrows, Enter launches with what was typed', () => {
    let r = press(liveState(), 'l');
    expect(r.s.dialog).toMatchObject({ kind: 'launch', field: 1, form: { driver: 'vxlan' } });
    r = press(
      r.s,
      'one',
      'Tab',
      '10.40.0.0/16',
      'Tab',
      '198.18.0.2, 198.18.0.3',
      'Tab',
      '/etc/xnet/pw',
      'Tab',
      '1354',
      'Tab',
    );
    r = press(r.s, 'Right', 'Enter');
    expect(r.effects).toEqual([
      {
        kind: 'launch',
        form: {
          driver: 'bridge',
          nickname: 'one',
          range: '10.40.0.0/16',
          peers: '198.18.0.2, 198.18.0.3',
          passwordFile: '/etc/xnet/pw',
          subnet: '',
          mtu: '1354',
        },
      },
    ]);
    expect(r.s.dialog).toMatchObject({ kind: 'launch', busy: true });
    // The agent refuses a driver switch: the dialog keeps the error and says a reset is needed.
    const failed = reducer(r.s, {
      type: 'dialogFailed',
      message: "launch bridge: this host's router is vxlan; switching to bridge needs a reset first",
      hint: 'reset first',
    });
    expect(failed.dialog).toMatchObject({ kind: 'launch', busy: false, hint: 'reset first' });
  });
  it('the launch form asks ovs-gre for a subnet where the other drivers take a range', () => {
    let r = press(liveState(), 'l', 'Shift-Tab', 'Right', 'Right');
    expect(r.s.dialog).toMatchObject({ kind: 'launch', field: 0, form: { driver: 'ovs-gre' } });
    r = press(r.s, 'Tab', 'two', 'Tab', '172.25.2.0/24', 'Tab', '198.18.0.1', 'Enter');
    expect(r.effects).toEqual([
      {
        kind: 'launch',
        form: {
          driver: 'ovs-gre',
          nickname: 'two',
          range: '',
          peers: '198.18.0.1',
          passwordFile: '',
          subnet: '172.25.2.0/24',
          mtu: '',
        },
      },
    ]);
  });
  it('c connects the typed peers; f forgets the selected peer; R resets after typing the name', () => {
    const s = { ...meshState(), focus: 'peers' as const };
    expect(press(s, 'c', '198.18.0.4 198.18.0.5', 'Enter').effects).toEqual([
      { kind: 'connect', peers: ['198.18.0.4', '198.18.0.5'] },
    ]);
    expect(press(s, 'c', 'Enter').s.dialog).toMatchObject({ kind: 'connect', error: expect.any(String) });
    // Row 1 is two (198.18.0.2): f starts on its connection target.
    const f = press(s, 'j', 'f');
    expect(f.s.dialog).toMatchObject({ kind: 'forget', targets: ['198.18.0.2', '198.18.0.9'], selected: 0 });
    expect(press(f.s, 'Down', 'Enter').effects).toEqual([{ kind: 'forget', peers: ['198.18.0.9'] }]);
    expect(press(liveState(), 'f').s.events.at(-1)?.text).toMatch(/no connection targets/);
    let r = press(s, 'R', 'on', 'Enter');
    expect(r.effects).toEqual([]);
    r = press(r.s, 'e', 'Enter');
    expect(r.effects).toEqual([{ kind: 'reset' }]);
  });
  it('K on Peers asks for the new password file, then the host name, then rotates', () => {
    const s = { ...meshState(), focus: 'peers' as const };
    expect(press(s, 'K', 'Enter').s.dialog).toMatchObject({ kind: 'rotateKey', error: expect.any(String) });
    let r = press(s, 'K', '/etc/xnet/new.pw', 'Enter');
    expect(r.s.dialog).toMatchObject({ kind: 'typeConfirm', expect: s.host.replace(/ \(lab\)$/, '') });
    expect(r.effects).toEqual([]);
    expect(press(r.s, 'wrong', 'Enter').effects).toEqual([]);
    r = press(r.s, s.host.replace(/ \(lab\)$/, ''), 'Enter');
    expect(r.effects).toEqual([{ kind: 'rotateKey', passwordFile: '/etc/xnet/new.pw' }]);
    expect(press(s, 'K', '/x', 'Esc').s.dialog).toBeUndefined();
  });
  it('p picks the source from a list (host first), then checks the target as it is typed', () => {
    const s = { ...meshState(), focus: 'pings' as const };
    // The sources: this host, then the running attached containers (db, web).
    const r = press(s, 'p', 'Down', 'Down', 'Down', 'Tab', '172.25.11.24', 'Enter');
    expect(r.effects).toEqual([{ kind: 'addPing', from: 'web', target: '172.25.11.24' }]);
    // Enter on the picker moves to the target; the host is a source too.
    expect(press(s, 'p', 'Enter', '198.18.0.2', 'Enter').effects).toEqual([
      { kind: 'addPing', from: '', target: '198.18.0.2' },
    ]);
    // Typing on the picker types nothing; a bad target is refused with the agent's words and nothing sent.
    const bad = press(s, 'p', 'x', 'Tab', '172.25.11', 'Enter');
    expect(bad.effects).toEqual([]);
    expect(bad.s.dialog).toMatchObject({
      kind: 'addPing',
      from: '',
      target: '172.25.11',
      error: expect.stringMatching(/not an IP address/),
    });
    expect(pingTargetError('172.25.11')).toMatch(/not an IP address/);
    expect(pingTargetError('fe80::1%ethwe')).toBeUndefined();
  });
  it('o: edit a value, see the agent verdict for that text only, diff, apply after typing the host name', () => {
    let r = press(liveState(), 'o');
    expect(r.effects).toEqual([{ kind: 'dockerdLoad' }]);
    r = { ...r, s: reducer(r.s, { type: 'dockerd', update: { view: dockerdView } }) };
    // bip is row 1: Enter edits it, starting from the value in effect, checked at once.
    r = press(r.s, 'Down', 'Enter');
    expect(r.s.dialog).toMatchObject({
      phase: 'edit',
      input: '172.25.11.1/24',
      check: { state: 'checking' },
    });
    r = press(r.s, '\x7f\x7f', '25');
    const verdict = { key: 'bip', input: '172.25.11.1/2', state: 'error', message: 'stale' } as const;
    expect(reducer(r.s, { type: 'dockerdCheck', check: verdict }).dialog).toMatchObject({
      check: { input: '172.25.11.1/25', state: 'checking' },
    });
    const bad = { ...verdict, input: '172.25.11.1/25', message: 'fixed-cidr is outside bip' };
    const refused = press(reducer(r.s, { type: 'dockerdCheck', check: bad }), 'Enter');
    expect(refused.s.dialog).toMatchObject({ phase: 'edit' });
    r = press(r.s, 'Enter');
    expect(r.s.dialog).toMatchObject({ phase: 'list', edits: { bip: '172.25.11.1/25' } });
    expect(press(r.s, 'd').effects).toEqual([{ kind: 'dockerdDiff', edits: { bip: '172.25.11.1/25' } }]);
    r = press(r.s, 'a');
    expect(r.s.dialog).toMatchObject({ phase: 'confirm', confirmFor: 'apply' });
    expect(press(r.s, 'h2', 'Enter').effects).toEqual([]);
    const go = press(r.s, 'h1', 'Enter');
    expect(go.effects).toEqual([{ kind: 'dockerdApply', edits: { bip: '172.25.11.1/25' } }]);
    expect(go.s.dialog).toMatchObject({ phase: 'applying' });
    // Esc does not abandon a restart in progress; it steps back everywhere else, and closes from the list.
    expect(press(go.s, 'Esc').s.dialog).toMatchObject({ phase: 'applying' });
    expect(press(r.s, 'Esc').s.dialog).toMatchObject({ phase: 'list' });
    expect(press(r.s, 'Esc', 'Esc').s.dialog).toBeUndefined();
  });
  it('o: u unsets to the default, x drops the edit, r rolls back after typing the host name', () => {
    let s = reducer(press(liveState(), 'o').s, { type: 'dockerd', update: { view: dockerdView } });
    s = press(s, 'u').s;
    expect(s.dialog).toMatchObject({ edits: { bridge: null } });
    expect(press(s, 'x').s.dialog).toMatchObject({ edits: {} });
    const r = press(s, 'r', 'h1', 'Enter');
    expect(r.effects).toEqual([{ kind: 'dockerdRollback' }]);
  });
  it('o, after a restart that stopped containers: s starts them again; nothing to start, s does nothing', () => {
    const after = (containers: DockerdApplyResult['containers']): UIState =>
      reducer(reducer(press(liveState(), 'o').s, { type: 'dockerd', update: { view: dockerdView } }), {
        type: 'dockerd',
        update: {
          phase: 'result',
          result: {
            outcome: 'applied',
            reason: null,
            daemonLog: [],
            backup: 'b',
            files: [],
            steps: [],
            findings: [],
            reattached: 1,
            containers,
            restarted: [],
          },
        },
      });
    const stopped = after([
      { id: 'a1', name: 'web', wasRunning: true, running: false, status: 'Exited (137) 1 second ago' },
      { id: 'b2', name: 'db', wasRunning: true, running: true, status: 'Up 1 second' },
    ]);
    expect(press(stopped, 's').effects).toEqual([{ kind: 'dockerdStartContainers', containers: ['a1'] }]);
    expect(press(after([]), 's').effects).toEqual([]);
  });
});

describe('a remapped keymap', () => {
  const remapped = {
    ...defaultKeyBindings,
    connect: { ...defaultKeyBindings.connect, keys: ['C'] },
    confirm: { ...defaultKeyBindings.confirm, keys: ['ctrl+s'] },
    cancel: { ...defaultKeyBindings.cancel, keys: ['ctrl+g'] },
  };
  const key = (s: UIState, name: string, input = '') => {
    const out = handleKey(s, name, input, remapped);
    return { s: out.actions.reduce(reducer, s), effect: out.effect };
  };

  it('is named in messages: the key the operator has, not the default', () => {
    expect(key(liveState(), 'f').s.events.at(-1)?.text).toBe(
      'forget: no connection targets to forget (C connects one)',
    );
  });

  it('drives dialogs: confirm and cancel are commands, Enter and Esc no longer', () => {
    let s = key(meshState(), 'C').s;
    for (const ch of '198.18.0.4') s = key(s, ch, ch).s;
    expect(key(s, 'return').effect).toBeUndefined();
    expect(key(s, 'escape').s.dialog).toMatchObject({ kind: 'connect' });
    expect(key(s, 'ctrl+s').effect).toEqual({ kind: 'connect', peers: ['198.18.0.4'] });
    expect(key(s, 'ctrl+g').s.dialog).toBeUndefined();
  });
});
