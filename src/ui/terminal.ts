import { EventEmitter } from 'node:events';
import { diffLine } from './cells.js';

const ESC = '\x1b[';
/**
 * Cursor moves and erases Ink puts before a frame: log-update's eraseLines, cursorUp and cursorLeft, and, when
 * the terminal got shorter than the last frame, clearTerminal (erase screen, erase scrollback, home).
 */
// eslint-disable-next-line no-control-regex
const FRAME_PREFIX = /^(?:\x1b\[(?:\d*[ABGKJ]|2K|\d*(?:;\d*)?H))*/;
/** An erase of the whole screen in that prefix: what was on screen is gone. */
// eslint-disable-next-line no-control-regex
const CLEARS = /\x1b\[[23]?J/;
// eslint-disable-next-line no-control-regex
const MODE_SWITCH = /^(?:\x1b\[\?\d+[lh])+$/;

/**
 * The bytes that turn screen `prev` into `next` on the alternate screen: only changed lines, and of those only
 * the changed cells, addressed absolutely; rows the new frame no longer covers are cleared. Equal frames: ''.
 */
export function diffFrame(prev: readonly string[], next: readonly string[]): string {
  let out = '';
  for (let i = 0; i < Math.max(prev.length, next.length); i++) {
    if (prev[i] === next[i]) continue;
    out += diffLine(i + 1, prev[i], next[i] ?? '');
  }
  return out;
}

/** Splits what Ink wrote into a frame's lines, or undefined when it is not a frame. */
export function frameLines(data: string): string[] | undefined {
  return parseFrame(data)?.lines;
}

/**
 * A frame's lines, and whether Ink asked for the screen to be cleared first (it does so when the terminal got
 * shorter than its last frame). The prefix is never passed on: the writer addresses every cell absolutely, and
 * an erase in the middle of a partial update would wipe lines it believes are still on screen.
 */
export function parseFrame(data: string): { lines: string[]; clears: boolean } | undefined {
  const prefix = FRAME_PREFIX.exec(data)?.[0] ?? '';
  const body = data.slice(prefix.length);
  if (body === '' || MODE_SWITCH.test(data)) return undefined;
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return { lines, clears: CLEARS.test(prefix) };
}

/**
 * A stdout for Ink that writes to the real terminal only the lines that changed since the last frame, so a
 * clock tick costs one line, not a redraw, and an unchanged frame costs nothing. Owns the alternate screen.
 */
export class DiffTerminal extends EventEmitter {
  readonly #out: NodeJS.WriteStream;
  #screen: string[] = [];
  /** Bytes written to the terminal, for the benchmark and tests. */
  written = 0;

  /** `onScreen`: what is already on the screen (the splash), so the first frame only rewrites what differs. */
  constructor(out: NodeJS.WriteStream, onScreen: readonly string[] = []) {
    super();
    this.#out = out;
    this.#screen = [...onScreen];
    out.on('resize', this.#onResize);
  }

  get columns(): number {
    return this.#out.columns;
  }
  get rows(): number {
    return this.#out.rows;
  }
  get isTTY(): boolean {
    return true;
  }

  #onResize = (): void => {
    // After a resize the terminal has rewrapped what was there: start from a blank screen.
    this.#screen = [];
    this.#raw(`${ESC}2J`);
    this.emit('resize');
  };

  /** Clears the screen and draws the current frame again whole (Ctrl-L, or Ink asking for a clean screen). */
  redraw(): void {
    const lines = this.#screen;
    this.#screen = [];
    this.#raw(`${ESC}2J`);
    this.#paint(lines);
  }

  /** Rows past the bottom are left out: the terminal would draw them all over its last row. */
  #paint(lines: readonly string[]): void {
    const next = lines.slice(0, this.rows || lines.length);
    const diff = diffFrame(this.#screen, next);
    this.#screen = next;
    if (diff) this.#raw(diff);
  }

  #raw(data: string): void {
    this.written += Buffer.byteLength(data);
    this.#out.write(data);
  }

  write = (data: string | Uint8Array): boolean => {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    const frame = parseFrame(text);
    if (frame === undefined) {
      if (MODE_SWITCH.test(text)) this.#raw(text);
      return true;
    }
    if (frame.clears) {
      this.#screen = [];
      this.#raw(`${ESC}2J`);
    }
    this.#paint(frame.lines);
    return true;
  };

  dispose(): void {
    this.#out.off('resize', this.#onResize);
  }
}
