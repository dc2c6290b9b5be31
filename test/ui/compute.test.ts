import { describe, expect, it } from 'vitest';
import { checkCidr, suggestCidr } from '../../src/ui/compute/address.js';
import { levelsOf, resample, slotsFor, slotted, sparkline } from '../../src/ui/compute/chart.js';
import { fit, layoutFor, rowHeight, scrollOffset, wrapWords } from '../../src/ui/compute/layout.js';
import { pushRates, ratesBetween, type CounterSample, type Series } from '../../src/ui/compute/rates.js';
import { diffFrame, frameLines } from '../../src/ui/terminal.js';
import { localeIsUtf8, pickTheme } from '../../src/ui/theme/tokens.js';
import { parseConfig } from '../../src/ui/config.js';
import { containers, counters } from './fixtures.js';

const iface = counters;
const sample = (at: number, ...i: ReturnType<typeof iface>[]): CounterSample => ({ at, interfaces: i });

describe('rates from counter samples', () => {
  it('divides the byte deltas by the interval', () => {
    const r = ratesBetween(sample(1000, iface('xnet', 100, 50)), sample(3000, iface('xnet', 4100, 1050)));
    expect(r.get('xnet')).toEqual({ rx: 2000, tx: 500 });
  });
  it('gives no rate for a new interface, a counter that went backwards, or a zero interval', () => {
    const a = sample(1000, iface('a', 500, 500), iface('b', 10, 10));
    const b = sample(2000, iface('a', 100, 900), iface('b', 20, 20), iface('c', 1, 1));
    const r = ratesBetween(a, b);
    expect([...r.keys()]).toEqual(['b']);
    expect(ratesBetween(a, { ...a }).size).toBe(0);
  });
  it('keeps a minute of history and drops interfaces that went away', () => {
    let h = new Map<string, Series>();
    for (let i = 0; i < 70; i++) h = pushRates(h, new Map([['x', { rx: i, tx: 0 }]]), i * 1000);
    expect(h.get('x')!.rx).toHaveLength(60);
    expect(h.get('x')!.rx[59]).toBe(69);
    expect(h.get('x')!.at[59]).toBe(69_000);
    expect(pushRates(h, new Map(), 70_000).has('x')).toBe(false);
  });
});

describe('sparklines', () => {
  it('pads missing history on the left and keeps bursts when squeezing', () => {
    expect(resample([1, 2], 4)).toEqual([undefined, undefined, 1, 2]);
    expect(resample([0, 0, 9, 0, 0, 0], 3)).toEqual([0, 9, 0]);
  });
  it('scales to the largest value and shows any non-zero value', () => {
    const levels = [' ', '1', '2', '3', '4'];
    expect(sparkline([0, 1, 50, 100], 4, levels)).toBe(' 124');
    expect(sparkline([0, 0], 3, levels)).toBe('   ');
  });
  it('gives each column a whole number of seconds so a minute fits the width', () => {
    expect(slotsFor(19)).toEqual({ slotMs: 4000, columns: 15 });
    expect(slotsFor(30)).toEqual({ slotMs: 2000, columns: 30 });
    expect(slotsFor(80)).toEqual({ slotMs: 1000, columns: 60 });
  });
  it('moves a chart one column per slot of wall-clock time, not per sample', () => {
    // 4-second slots at width 19: a blip at t=10 s stays in its column while samples arrive within the slot.
    const at = [9000, 10_000, 11_000];
    const v = [0, 500, 0];
    const levels = [' ', '1', '2', '3', '4'];
    const at11 = levelsOf(slotted(v, at, 11_000, 19), levels);
    expect(at11.trimEnd()).toHaveLength(19);
    expect(levelsOf(slotted([...v, 0], [...at, 11_900], 11_900, 19), levels)).toBe(at11);
    // The next slot starts at 12 s: the blip moves one column left.
    const at12 = levelsOf(slotted([...v, 0], [...at, 12_000], 12_000, 19), levels);
    expect(at12.indexOf('4')).toBe(at11.indexOf('4') - 1);
    // Older than the minute: gone.
    expect(levelsOf(slotted(v, at, 80_000, 19), levels).trim()).toBe('');
  });
});

describe('layout', () => {
  it('refuses below 80x24 and says the size', () => {
    expect(layoutFor(79, 24)).toEqual({ fits: false, need: expect.stringContaining('79x24') });
    expect(layoutFor(80, 23).fits).toBe(false);
  });
  for (const [cols, rows] of [
    [80, 24],
    [100, 30],
    [160, 48],
    [250, 70],
  ] as const) {
    for (const banner of [false, true]) {
      it(`fills ${cols}x${rows}${banner ? ' with the banner' : ''} exactly, one row short of the terminal`, () => {
        const l = layoutFor(cols, rows, banner);
        if (!l.fits) throw new Error('should fit');
        const body = l.layout.body.reduce((h, r) => h + rowHeight(r), 0);
        expect(body + 3 + (banner ? 1 : 0)).toBe(rows - 1);
        for (const row of l.layout.body) {
          expect(row.reduce((w, col) => w + col[0]!.width, 0)).toBe(cols);
          for (const col of row) expect(col.reduce((h, b) => h + b.height, 0)).toBe(rowHeight(row));
        }
        const panes = l.layout.body.flat(2).map((b) => b.pane);
        expect(panes.sort()).toEqual(['containers', 'peers', 'pings', 'traffic']);
      });
    }
  }
  it('scrolls to keep the selection visible', () => {
    expect(scrollOffset(0, 5, 20)).toBe(0);
    expect(scrollOffset(7, 5, 20)).toBe(3);
    expect(scrollOffset(19, 5, 20)).toBe(15);
    expect(scrollOffset(3, 5, 4)).toBe(0);
  });
  it('fits and wraps text', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4)).toBe('ab  ');
    expect(wrapWords('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapWords('one two three four', 9, 2)).toEqual(['one two', 'three …']);
  });
});

describe('attach address', () => {
  it('validates with the agent rules and refuses an address another container has', () => {
    expect(checkCidr('172.25.11.30/24', containers)).toEqual({ ok: true, cidr: '172.25.11.30/24' });
    expect(checkCidr('172.25.11.23/24', containers)).toMatchObject({
      ok: false,
      message: expect.stringContaining('web'),
    });
    expect(checkCidr('172.25.11.23/24', containers, 'web')).toMatchObject({ ok: true });
    expect(checkCidr('172.25.11.0/24', containers)).toMatchObject({
      ok: false,
      message: expect.stringContaining('network address'),
    });
    expect(checkCidr('', containers)).toMatchObject({ ok: false, empty: true });
  });
  it('suggests the next free address in the subnet in use, or the default subnet', () => {
    expect(suggestCidr(containers)).toBe('172.25.11.25/24');
    expect(suggestCidr([])).toBe('172.25.11.1/24');
  });
});

describe('terminal writes', () => {
  it('rewrites only changed lines, nothing for an equal frame', () => {
    expect(diffFrame(['a', 'b', 'c'], ['a', 'b', 'c'])).toBe('');
    expect(diffFrame(['a', 'b', 'c'], ['a', 'B', 'c'])).toBe('\x1b[2;1HB');
    expect(diffFrame(['a', 'b'], ['a'])).toBe('\x1b[2;1H\x1b[K');
    // Only the changed cells of a line, in their style; a shorter line clears its tail.
    expect(diffFrame(['rate   68 B/s  tx'], ['rate    0 B/s  tx'])).toBe('\x1b[1;8H 0');
    expect(diffFrame(['x \x1b[32mab\x1b[39m y'], ['x \x1b[32maB\x1b[39m y'])).toBe(
      '\x1b[1;4H\x1b[0;32mB\x1b[0m',
    );
    expect(diffFrame(['abcdef'], ['abc'])).toBe('\x1b[1;4H\x1b[K');
    // A wide character (or anything not a cell) rewrites the line.
    expect(diffFrame(['名a'], ['名b'])).toBe('\x1b[1;1H名b\x1b[K');
  });
  it("reads Ink's frames and ignores mode switches", () => {
    expect(frameLines('\x1b[2K\x1b[1A\x1b[2K\x1b[Gline1\nline2\n')).toEqual(['line1', 'line2']);
    expect(frameLines('\x1b[?2026h')).toBeUndefined();
  });
});

describe('theme and config', () => {
  it('uses the plain theme for NO_COLOR, a non-UTF-8 locale, or when asked', () => {
    expect(pickTheme('auto', { LANG: 'C.UTF-8' }).name).toBe('default');
    expect(pickTheme('auto', { LANG: 'C.UTF-8', NO_COLOR: '1' }).name).toBe('plain');
    expect(pickTheme('auto', { LANG: 'C' }).name).toBe('plain');
    expect(pickTheme('plain', { LANG: 'en_US.UTF-8' }).name).toBe('plain');
    expect(localeIsUtf8({ LC_ALL: 'C', LANG: 'en_US.UTF-8' })).toBe(false);
  });
  it('remaps keys, and names the field of a bad config while keeping defaults', () => {
    const ok = parseConfig('{"theme":"plain","keys":{"attach":["A"]}}', 'c.json');
    expect(ok.problem).toBeUndefined();
    expect(ok.bindings.attach.keys).toEqual(['A']);
    expect(ok.theme).toBe('plain');
    const bad = parseConfig('{"keys":{"atach":["A"]}}', 'c.json');
    expect(bad.problem).toMatch(/keys/);
    expect(bad.bindings.attach.keys).toEqual(['a']);
    expect(parseConfig('{"keys":{"attach":["d"]}}', 'c.json').problem).toMatch(
      /"d" is bound to attach and detach/,
    );
    expect(parseConfig('{', 'c.json').problem).toMatch(/not JSON/);
  });
});
