import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { defaultTheme, plainTheme } from '../../src/ui/theme/tokens.js';
import { NOW, liveState, status } from './fixtures.js';
import { frameOf } from './frame.js';

// Frames as tests (bandwhich-style): whole rendered screens at 80x24 and 160x48, compared to reviewed files
// in __frames__/. A changed frame fails; review the new file and commit it with `vitest -u`.
process.env.TZ = 'UTC';

const SIZES = [
  [80, 24],
  [160, 48],
] as const;

const scenarios: Record<string, () => UIState> = {
  'containers-focused': liveState,
  'peers-focused': () => ({ ...liveState(), focus: 'peers' }),
  'traffic-focused': () => ({
    ...liveState(),
    focus: 'traffic',
    selected: { ...liveState().selected, traffic: 2 },
  }),
  'pings-focused': () => ({ ...liveState(), focus: 'pings' }),
  'containers-filtered': () => {
    let s = reducer(liveState(), { type: 'editFilter', editing: true });
    s = reducer(s, { type: 'setFilter', text: 'we' });
    return s;
  },
  'agent-down': () =>
    reducer(
      reducer(liveState(), {
        type: 'event',
        event: {
          at: NOW,
          level: 'error',
          text: 'lost the agent: connect ENOENT /run/xnet/lab/h1/agent.sock',
        },
      }),
      {
        type: 'connection',
        connection: { state: 'down', socket: status.socket, since: NOW, reason: 'connect ENOENT' },
      },
    ),
  help: () => ({ ...liveState(), dialog: { kind: 'help' } }),
  'attach-pick': () => ({ ...liveState(), dialog: { kind: 'attachPick', selected: 1 } }),
  'attach-cidr-valid': () => ({
    ...liveState(),
    dialog: { kind: 'attachCidr', container: 'cache', input: '172.25.11.25/24', busy: false },
  }),
  'attach-cidr-taken': () => ({
    ...liveState(),
    dialog: { kind: 'attachCidr', container: 'cache', input: '172.25.11.23/24', busy: false },
  }),
  'detach-confirm': () => ({
    ...liveState(),
    dialog: {
      kind: 'confirm',
      title: 'Detach',
      message: 'Detach 172.25.11.23/24 from web? ethwe is removed.',
      intent: { kind: 'detach', container: 'web', cidrs: [] },
      busy: false,
    },
  }),
  'detach-all-type-name': () => ({
    ...liveState(),
    dialog: {
      kind: 'typeConfirm',
      title: 'Detach all',
      message: 'Detach all 2 addresses (172.25.11.24/24, 172.25.12.5/24) from db and remove ethwe.',
      expect: 'db',
      typed: 'd',
      intent: { kind: 'detach', container: 'db', cidrs: [] },
      busy: false,
    },
  }),
  'details-container': () => ({ ...liveState(), dialog: { kind: 'details', pane: 'containers', row: 'db' } }),
  'not-built-launch': () => ({
    ...liveState(),
    dialog: {
      kind: 'unavailable',
      title: 'Launch router',
      message: 'Launching the mesh router is not built yet.',
    },
  }),
};

describe('frames', () => {
  for (const [name, make] of Object.entries(scenarios)) {
    for (const [cols, rows] of SIZES) {
      it(`${name} at ${cols}x${rows}`, async () => {
        const frame = stripVTControlCharacters(frameOf(make(), cols, rows, defaultTheme));
        const lines = frame.split('\n');
        expect(lines.length).toBeLessThanOrEqual(rows - 1);
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(cols);
        await expect(frame + '\n').toMatchFileSnapshot(`__frames__/${name}-${cols}x${rows}.txt`);
      });
    }
  }

  it('NO_COLOR: the plain theme writes no colour and only ASCII', async () => {
    const raw = frameOf(liveState(), 80, 24, plainTheme);
    // eslint-disable-next-line no-control-regex
    expect(raw).not.toMatch(/\x1b\[3\dm/);
    expect(stripVTControlCharacters(raw)).toMatch(/^[\x20-\x7e\n]*$/);
    await expect(stripVTControlCharacters(raw) + '\n').toMatchFileSnapshot('__frames__/plain-80x24.txt');
  });

  it('below 80x24 it says what size it needs', () => {
    const frame = stripVTControlCharacters(frameOf(liveState(), 79, 30, defaultTheme));
    expect(frame).toContain('needs at least 80x24; this terminal is 79x30');
    expect(frameOf(liveState(), 100, 20, defaultTheme)).toContain('100x20');
  });
});
