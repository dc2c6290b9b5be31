import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { ContainerRow } from '../../src/api/index.js';
import { eventsWindow } from '../../src/ui/components/eventsView.js';
import { suggestCidr } from '../../src/ui/compute/address.js';
import { containerRows } from '../../src/ui/state/rows.js';
import { handleKey } from '../../src/ui/keys/handleKey.js';
import { defaultKeyBindings } from '../../src/ui/keys/keyBindings.js';
import type { UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { defaultTheme } from '../../src/ui/theme/tokens.js';
import { meshState } from './fixtures.js';
import { doctorChecks, healthEvents, withDrift, withHealth, withPmtu } from './fixtures-events.js';
import { liveState } from './fixtures.js';
import { frameOf } from './frame.js';

const press = (s: UIState, name: string): UIState =>
  handleKey(s, name, name.length === 1 ? name : '', defaultKeyBindings).actions.reduce(reducer, s);

describe('health events in the UI', () => {
  it('the newest event the agent hands out reaches the event line, with its time', () => {
    const s = withHealth(meshState(), healthEvents.slice(0, 3));
    expect(s.health.latest).toBe(3);
    expect(s.events.at(-1)).toEqual({
      at: Date.parse(healthEvents[2]!.at),
      level: 'ok',
      text: 'web has its addresses again',
    });
    // The next poll (since 3) brings one more; an empty poll changes nothing.
    const next = reducer(s, { type: 'health', events: healthEvents.slice(3, 4), latest: 4 });
    expect(next.health.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(reducer(next, { type: 'health', events: [], latest: 4 })).toBe(next);
    const frame = stripVTControlCharacters(frameOf(next, 80, 24, defaultTheme));
    expect(frame).toContain('14:05:09 ! check web -> peer two (198.18.0.2) down');
  });

  it('a new agent numbering from 1 again starts the list over', () => {
    const s = withHealth(meshState());
    const fresh = reducer(s, { type: 'health', events: healthEvents.slice(0, 1), latest: 1 });
    expect(fresh.health.events.map((e) => e.seq)).toEqual([1]);
  });

  it('e opens the events view, arrows scroll it (not past the oldest), e or Esc closes it', () => {
    let s = press(withHealth(meshState()), 'e');
    expect(s.dialog).toEqual({ kind: 'events', scroll: 0 });
    s = press(press(s, 'up'), 'up');
    expect(s.dialog).toEqual({ kind: 'events', scroll: 2 });
    s = press(s, 'down');
    expect(s.dialog).toEqual({ kind: 'events', scroll: 1 });
    expect(press(s, 'escape').dialog).toBeUndefined();
    expect(press(s, 'e').dialog).toBeUndefined();
  });

  it('the window keeps the newest lines and scrolls up from them', () => {
    const all = [1, 2, 3, 4, 5, 6];
    expect(eventsWindow(all, 3, 0)).toEqual({ shown: [4, 5, 6], from: 3 });
    expect(eventsWindow(all, 3, 2)).toEqual({ shown: [2, 3, 4], from: 1 });
    expect(eventsWindow(all, 3, 99)).toEqual({ shown: [], from: 0 });
    expect(eventsWindow(all, 10, 0)).toEqual({ shown: all, from: 0 });
  });

  it('D opens the doctor view and asks the agent; its answer lands only while the view is open', () => {
    const out = handleKey(meshState(), 'D', 'D', defaultKeyBindings);
    expect(out.effect).toEqual({ kind: 'doctorLoad' });
    const open = out.actions.reduce(reducer, meshState());
    const answered = reducer(open, { type: 'doctor', checks: doctorChecks });
    expect(answered.dialog).toMatchObject({ kind: 'doctor', checks: doctorChecks });
    const closed = press(answered, 'escape');
    expect(reducer(closed, { type: 'doctor', checks: doctorChecks }).dialog).toBeUndefined();
  });

  it('m on Peers opens the launch form on its MTU field with the MTU the path needs', () => {
    const s = { ...withPmtu(meshState()), focus: 'peers' as const };
    const out = press(s, 'm');
    expect(out.dialog).toMatchObject({ kind: 'launch', form: { driver: 'vxlan', mtu: '1354' }, field: 5 });
    expect(press(out, 'return').dialog).toMatchObject({ kind: 'launch', busy: true });
    expect(handleKey(s, 'm', 'm', defaultKeyBindings).actions.reduce(reducer, s).dialog).toBeDefined();
    // No path MTU trouble measured: nothing to set, said on the event line.
    const none = press({ ...meshState(), focus: 'peers' }, 'm');
    expect(none.dialog).toBeUndefined();
    expect(none.events.at(-1)!.text).toMatch(/no peer path is smaller/);
  });

  it('? lists the events key', () => {
    const frame = stripVTControlCharacters(frameOf(press(meshState(), '?'), 160, 48, defaultTheme));
    expect(frame).toMatch(/e\s+health events/);
  });
});

describe('attach suggests inside the router range (15.11)', () => {
  const attached = (name: string, cidr: string): ContainerRow => ({
    id: name.padEnd(64, '0'),
    name,
    image: 'busybox',
    running: true,
    status: 'Up',
    attachment: {
      container: name,
      containerId: name.padEnd(64, '0'),
      ifname: 'ethwe',
      hostIfname: 'vx1',
      mac: null,
      cidrs: [cidr],
      live: [cidr],
      state: 'attached',
    },
  });
  it('keeps to the range: the most used subnet if inside it, else the range itself', () => {
    const local = [attached('a', '172.25.11.23/24'), attached('b', '172.25.11.24/24')];
    expect(suggestCidr(local)).toBe('172.25.11.25/24');
    expect(suggestCidr(local, '10.32.0.0/12')).toBe('10.32.0.1/12');
    const inRange = [...local, attached('c', '10.32.0.5/12')];
    expect(suggestCidr(inRange, '10.32.0.0/12')).toBe('10.32.0.6/12');
    expect(suggestCidr(local, '172.25.0.0/16')).toBe('172.25.11.25/24');
  });
  it('the attach dialog on a running router offers and names the range', () => {
    const s = press(press(meshState(), 'a'), 'return');
    const frame = stripVTControlCharacters(frameOf(s, 160, 48, defaultTheme));
    expect(frame).toMatch(/suggested free address: 10\.32\.0\.1\/12 \(Tab takes it\)/);
    expect(frame).toContain("inside the router's range 10.32.0.0/12");
  });
});

describe('drift is repairable from the TUI (15.9)', () => {
  it('r on a drifted container re-attaches it with its desired addresses', () => {
    const s = withDrift(liveState());
    const at = containerRows(s).findIndex((c) => c.name === 'db');
    const focused = { ...s, focus: 'containers' as const, selected: { ...s.selected, containers: at } };
    const out = handleKey(focused, 'r', 'r', defaultKeyBindings);
    expect(out.effect).toEqual({
      kind: 'reattach',
      container: 'db',
      cidrs: ['172.25.11.24/24', '172.25.12.5/24'],
    });
    expect(handleKey({ ...focused, focus: 'peers' }, 'r', 'r', defaultKeyBindings).effect).toBeUndefined();
  });
});
