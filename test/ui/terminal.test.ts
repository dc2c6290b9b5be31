import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { DiffTerminal, parseFrame } from '../../src/ui/terminal.js';

/**
 * A fake terminal (named so: a real one is tmux, in resize.test.ts): a grid of characters that understands
 * exactly the sequences the writer and Ink emit. Cursor moves clamp at the edges as a real terminal's do, so
 * a row written past the bottom lands on the last row; styles are dropped, the characters are what is compared.
 */
class FakeTerminal extends EventEmitter {
  columns: number;
  rows: number;
  grid: string[][] = [];
  bytes = '';
  #row = 0;
  #col = 0;

  constructor(columns: number, rows: number) {
    super();
    this.columns = columns;
    this.rows = rows;
    this.#clear();
  }
  #clear(): void {
    this.grid = Array.from({ length: this.rows }, () => Array<string>(this.columns).fill(' '));
  }
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.grid = Array.from({ length: rows }, (_, r) =>
      Array.from({ length: columns }, (_, c) => this.grid[r]?.[c] ?? ' '),
    );
    this.emit('resize');
  }
  write(data: string): boolean {
    this.bytes += data;
    // eslint-disable-next-line no-control-regex
    for (const m of data.matchAll(/\x1b\[([?\d;]*)([A-Za-z])|[\s\S]/gu)) {
      const [all, params = '', cmd] = m;
      const n = params.split(';').map((p) => Number(p) || 0);
      if (cmd === 'H') {
        this.#row = Math.min(this.rows, Math.max(1, n[0] || 1)) - 1;
        this.#col = Math.min(this.columns, Math.max(1, n[1] || 1)) - 1;
      } else if (cmd === 'J' && (n[0] === 2 || n[0] === 3)) this.#clear();
      else if (cmd === 'K') this.grid[this.#row]!.fill(' ', this.#col);
      else if (cmd !== undefined)
        continue; // SGR and mode switches: no characters
      else if (all === '\n') this.#row = Math.min(this.rows - 1, this.#row + 1);
      else if (this.#col < this.columns) this.grid[this.#row]![this.#col++] = all;
    }
    return true;
  }
  text(): string[] {
    return this.grid.map((r) => r.join('').trimEnd());
  }
}

const frame = (rows: number, tag: string): string[] =>
  Array.from({ length: rows }, (_, i) => `${tag} row ${i + 1}`);
/** What Ink's log-update writes for a frame after one of `before` lines (erase those lines, then the frame). */
const inkFrame = (lines: string[], before: number): string =>
  '\x1b[2K\x1b[1A'.repeat(Math.max(0, before - 1)) + '\x1b[2K\x1b[G' + lines.join('\n');
/** What Ink writes when the terminal is no taller than its last frame: clearTerminal, then the frame. */
const inkClearFrame = (lines: string[]): string => '\x1b[2J\x1b[3J\x1b[H' + lines.join('\n');

function setup(cols: number, rows: number): { term: FakeTerminal; diff: DiffTerminal } {
  const term = new FakeTerminal(cols, rows);
  const diff = new DiffTerminal(term as unknown as NodeJS.WriteStream);
  return { term, diff };
}

describe('the changed-cells writer', () => {
  it("takes Ink's clear-screen frame as a full repaint, never an erase in the middle of an update", () => {
    const { term, diff } = setup(100, 30);
    const tall = frame(29, 'old');
    diff.write(inkFrame(tall, 0));
    expect(term.text().slice(0, 29)).toEqual(tall);
    // Shorter: Ink redraws its old tree (29 rows) behind a clearTerminal, then the new one (23 rows), again so.
    term.resize(80, 24);
    diff.write('\x1b[?2026h');
    diff.write(inkClearFrame(tall));
    diff.write('\x1b[?2026l');
    // The header changed, the rest did not: today's writer put the erase after the first cursor move and so
    // wiped rows 2..23 it believed were still on screen.
    const short = ['new header', ...tall.slice(1, 23)];
    diff.write(inkClearFrame(short));
    expect(term.text()).toEqual([...short, '']);
    // The erase is written at the start of a write, never after a cursor move.
    expect(term.bytes).not.toMatch(/\x1b\[\d+;\d+H[^\x1b]*(?:\x1b\[[0-9;]*m[^\x1b]*)*\x1b\[[23]J/); // eslint-disable-line no-control-regex
  });

  it('leaves out rows past the bottom, which the terminal would pile onto its last row', () => {
    const { term, diff } = setup(40, 5);
    diff.write(inkFrame(frame(4, 'a'), 0));
    diff.write(inkFrame(frame(8, 'b'), 4));
    expect(term.text()).toEqual(frame(5, 'b'));
    expect(term.bytes).not.toMatch(/\x1b\[[6-9];1H/); // eslint-disable-line no-control-regex
  });

  it('after a resize ends in exactly the frame drawn from a blank screen', () => {
    const { term, diff } = setup(100, 30);
    diff.write(inkFrame(frame(29, 'x'), 0));
    term.resize(160, 48);
    const big = frame(47, 'y');
    diff.write(inkFrame(big, 29));
    const fresh = setup(160, 48);
    fresh.diff.write(inkFrame(big, 0));
    expect(term.text()).toEqual(fresh.term.text());
  });

  it('redraw (Ctrl-L) clears and paints the last frame whole, whatever else wrote to the screen', () => {
    const { term, diff } = setup(40, 6);
    const lines = frame(5, 'z');
    diff.write(inkFrame(lines, 0));
    term.write('\x1b[3;5Hgarbage from another process\x1b[1;1H\x1b[K');
    expect(term.text()).not.toEqual([...lines, '']);
    term.bytes = '';
    diff.redraw();
    expect(term.bytes.startsWith('\x1b[2J')).toBe(true);
    expect(term.text()).toEqual([...lines, '']);
    // And an unchanged frame after it costs nothing.
    term.bytes = '';
    diff.write(inkFrame(lines, 5));
    expect(term.bytes).toBe('');
  });

  it('splits the prefix Ink puts before a frame from the frame', () => {
    expect(parseFrame('\x1b[2K\x1b[1A\x1b[2K\x1b[Ga\nb\n')).toEqual({ lines: ['a', 'b'], clears: false });
    expect(parseFrame('\x1b[2J\x1b[3J\x1b[Ha\nb')).toEqual({ lines: ['a', 'b'], clears: true });
    expect(parseFrame('\x1b[2K\x1b[1A\x1b[2K\x1b[G')).toBeUndefined();
    expect(parseFrame('\x1b[?2026h')).toBeUndefined();
  });
});
