import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CaptureLine, CaptureRead } from '../../src/api/capture.js';
import { handleKey } from '../../src/ui/keys/handleKey.js';
import { defaultKeyBindings, splitInput } from '../../src/ui/keys/keyBindings.js';
import { captureKey, type CaptureView } from '../../src/ui/state/capture.js';
import type { UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';
import { defaultTheme, plainTheme } from '../../src/ui/theme/tokens.js';
import { NOW, meshState } from './fixtures.js';
import { frameOf } from './frame.js';

// The capture view (w on Containers or Peers) in each of its states, reached through the keys and the reducer
// as the TUI reaches them, drawn at 80x24 and 160x48 and in the plain (NO_COLOR) theme.
process.env.TZ = 'UTC';

const SIZES = [
  [80, 24],
  [160, 48],
] as const;

function press(s: UIState, ...keys: string[]): UIState {
  for (const k of keys) {
    const named = ({ Enter: 'return', Esc: 'escape', Down: 'down', Tab: 'tab' } as Record<string, string>)[k];
    for (const { name, input } of named ? [{ name: named, input: '' }] : splitInput(k, {})) {
      const out = handleKey(s, name, input, defaultKeyBindings);
      s = out.actions.reduce(reducer, s);
    }
  }
  return s;
}

const view = (s: UIState): CaptureView => {
  if (s.dialog?.kind !== 'capture') throw new Error(`no capture view: ${JSON.stringify(s.dialog)}`);
  return s.dialog;
};

const line = (seq: number, over: Partial<CaptureLine> = {}): CaptureLine => ({
  seq,
  t: NOW - 2_000 + seq * 100,
  proto: 'ICMP',
  src: seq % 2 ? '172.25.11.24' : '172.25.11.40',
  dst: seq % 2 ? '172.25.11.40' : '172.25.11.24',
  sport: null,
  dport: null,
  len: 98,
  info: seq % 2 ? 'echo request' : 'echo reply',
  tunnel: null,
  ...over,
});

function read(over: Partial<CaptureRead> = {}): CaptureRead {
  const lines = [
    ...Array.from({ length: 30 }, (_, i) => line(i + 1)),
    line(31, {
      proto: 'TCP',
      src: '172.25.11.24',
      sport: 41234,
      dst: '172.25.11.40',
      dport: 5000,
      len: 1514,
      info: '[.]',
    }),
    line(32, {
      proto: 'ARP',
      src: '172.25.11.40',
      dst: '172.25.11.24',
      len: 42,
      info: 'who-has 172.25.11.24 tell 172.25.11.40',
    }),
  ];
  return {
    id: 'c0ffee000001',
    target: 'db',
    interface: 'vxb2c3d4e5f6',
    filter: 'greater 0',
    promiscuous: false,
    state: 'live',
    reason: null,
    startedAt: NOW - 5_000,
    ageMs: 200,
    lines,
    latest: 32,
    skipped: 0,
    talkers: [
      {
        proto: 'TCP',
        src: '172.25.11.24',
        dst: '172.25.11.40',
        sport: 41234,
        dport: 5000,
        packets: 48_210,
        bytes: 72_000_000,
        pps: 9_640,
        bps: 14_400_000,
      },
      {
        proto: 'ICMP',
        src: '172.25.11.24',
        dst: '172.25.11.40',
        sport: null,
        dport: null,
        packets: 16,
        bytes: 1_568,
        pps: 10,
        bps: 980,
      },
      {
        proto: 'ICMP',
        src: '172.25.11.40',
        dst: '172.25.11.24',
        sport: null,
        dport: null,
        packets: 15,
        bytes: 1_470,
        pps: 10,
        bps: 980,
      },
      {
        proto: 'ARP',
        src: '172.25.11.40',
        dst: '172.25.11.24',
        sport: null,
        dport: null,
        packets: 1,
        bytes: 42,
        pps: 0.2,
        bps: 8.4,
      },
    ],
    flows: 4,
    overflow: 0,
    packets: 48_242,
    received: 48_242,
    dropped: 0,
    ...over,
  };
}

/** The view as the agent's answer leaves it (what useCapture dispatches). */
const answered = (s: UIState, r: CaptureRead): UIState =>
  reducer(s, { type: 'capture', update: { key: captureKey(view(s)), read: r } });

const opened = (): UIState => press(meshState(), 'w');

const states: Record<string, () => UIState> = {
  'capture-starting': opened,
  'capture-live': () => answered(opened(), read()),
  'capture-no-packets': () =>
    answered(opened(), read({ lines: [], latest: 0, talkers: [], flows: 0, packets: 0, received: 0 })),
  // The process stopped reporting (SIGSTOP, hung): said with its age, not left looking live.
  'capture-stale': () => answered(opened(), read({ state: 'stale', ageMs: 4_200 })),
  'capture-failed': () =>
    reducer(opened(), {
      type: 'capture',
      update: {
        key: captureKey(view(opened())),
        failed: 'capture on vxb2c3d4e5f6: capture process exited (code 1)',
      },
    }),
  'capture-filter-typing': () => press(answered(opened(), read()), '/', 'icmp and ('),
  'capture-filter-refused': () => {
    const s = press(answered(opened(), read()), '/', 'icmp and (', 'Enter');
    return reducer(s, {
      type: 'capture',
      update: {
        key: captureKey(view(s)),
        refused:
          '"icmp and (" is not a filter libpcap compiles (pcap-filter(7) syntax, e.g. "icmp" or "tcp port 80")',
      },
    });
  },
  'capture-peer': () => {
    // Peers sort trouble first: this host, three (mtu-too-small), then two.
    const s = press({ ...meshState(), focus: 'peers' }, 'Down', 'Down', 'w');
    const tunnel = { src: '198.18.0.2', dst: '198.18.0.1', vni: 30830, len: 148 };
    return answered(
      s,
      read({
        target: 'peer two',
        interface: 'eth0',
        filter: 'udp port 4789 and host 198.18.0.2',
        lines: Array.from({ length: 12 }, (_, i) => line(i + 1, { tunnel })),
        latest: 12,
      }),
    );
  },
};

describe('capture view frames', () => {
  for (const [name, make] of Object.entries(states))
    for (const [cols, rows] of SIZES)
      it(`${name} at ${cols}x${rows}`, async () => {
        const frame = stripVTControlCharacters(frameOf(make(), cols, rows, defaultTheme));
        const lines = frame.split('\n');
        expect(lines.length).toBeLessThanOrEqual(rows - 1);
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(cols);
        await expect(frame + '\n').toMatchFileSnapshot(`__frames__/${name}-${cols}x${rows}.txt`);
      });

  it('NO_COLOR: the live view in the plain theme, no colour and only ASCII', async () => {
    const raw = frameOf(states['capture-live']!(), 80, 24, plainTheme);
    // eslint-disable-next-line no-control-regex
    expect(raw).not.toMatch(/\x1b\[3\dm/);
    expect(stripVTControlCharacters(raw)).toMatch(/^[\x20-\x7e\n]*$/);
    await expect(stripVTControlCharacters(raw) + '\n').toMatchFileSnapshot(
      '__frames__/capture-live-plain-80x24.txt',
    );
  });
});

describe('capture view keys', () => {
  it('opens on the selected attached container, names it in the footer, and Esc closes it', () => {
    const before = stripVTControlCharacters(frameOf(meshState(), 80, 24));
    expect(before.split('\n').at(-1)).toContain('w capture');
    const s = opened();
    expect(view(s)).toMatchObject({
      target: { container: 'db' },
      label: 'db',
      filter: '',
      phase: 'starting',
    });
    expect(press(s, 'Esc').dialog).toBeUndefined();
    expect(press(s, 'w').dialog).toBeUndefined();
  });

  it('refuses a container that is not attached, and this host in Peers, on the event line', () => {
    const cache = press(meshState(), 'Down', 'Down', 'w');
    expect(cache.dialog).toBeUndefined();
    expect(cache.events.at(-1)?.text).toMatch(/select an attached container/);
    const self = press({ ...meshState(), focus: 'peers' }, 'w');
    expect(self.dialog).toBeUndefined();
    expect(self.events.at(-1)?.text).toMatch(/this row is this host/);
    const two = press({ ...meshState(), focus: 'peers' }, 'Down', 'Down', 'w');
    expect(view(two)).toMatchObject({ target: { peer: 'two' }, label: 'peer two' });
  });

  it('q and Ctrl-C quit from the view (useCapture closes the capture first); q typed into a filter is text', () => {
    const live = answered(opened(), read());
    const effect = (s: UIState, name: string, input: string) =>
      handleKey(s, name, input, defaultKeyBindings).effect;
    expect(effect(live, 'q', 'q')).toEqual({ kind: 'quit' });
    expect(effect(live, 'ctrl+c', 'c')).toEqual({ kind: 'quit' });
    const typing = press(live, '/', 'icm');
    expect(effect(typing, 'q', 'q')).toBeUndefined();
    expect(view(press(typing, 'q')).editing).toBe('icmq');
    expect(effect(typing, 'ctrl+c', 'c')).toEqual({ kind: 'quit' });
  });

  it('a new filter is a new capture; Esc in the prompt keeps the old one', () => {
    const live = answered(opened(), read());
    const typed = press(live, '/', 'icmp');
    expect(view(typed).editing).toBe('icmp');
    expect(view(press(typed, 'Esc'))).toMatchObject({ editing: undefined, filter: '', phase: 'open' });
    const applied = press(typed, 'Enter');
    expect(view(applied)).toMatchObject({ filter: 'icmp', phase: 'starting', lines: [] });
    expect(captureKey(view(applied))).not.toBe(captureKey(view(live)));
    // An answer for the old filter, arriving late, is dropped.
    const late = reducer(applied, { type: 'capture', update: { key: captureKey(view(live)), read: read() } });
    expect(late).toBe(applied);
  });

  it('keeps lines in order across reads, each once, at most VIEW_LINES', () => {
    let s = answered(opened(), read());
    s = answered(s, read({ lines: [line(32), line(33)], latest: 33 }));
    expect(
      view(s)
        .lines.map((l) => l.seq)
        .slice(-3),
    ).toEqual([31, 32, 33]);
    s = answered(s, read({ lines: Array.from({ length: 200 }, (_, i) => line(34 + i)), latest: 233 }));
    expect(view(s).lines).toHaveLength(100);
    expect(view(s).lines.at(-1)!.seq).toBe(233);
  });
});
