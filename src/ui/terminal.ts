import { EventEmitter } from 'node:events';
import { diffLine } from './cells.js';

const ESC = '\x1b[';
/** Cursor moves and erases Ink's log-update puts before a frame (eraseLines, cursorUp, cursorLeft). */
// eslint-disable-next-line no-control-regex
const FRAME_PREFIX = /^(?:\x1b\[(?:\d*[ABGK]|2K))*/;
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
  const body = data.replace(FRAME_PREFIX, '');
  if (body === '' || MODE_SWITCH.test(data)) return undefined;
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
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

  #raw(data: string): void {
    this.written += Buffer.byteLength(data);
    this.#out.write(data);
  }

  write = (data: string | Uint8Array): boolean => {
    const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
    const lines = frameLines(text);
    if (lines === undefined) {
      if (MODE_SWITCH.test(text)) this.#raw(text);
      return true;
    }
    const diff = diffFrame(this.#screen, lines);
    this.#screen = lines;
    if (diff) this.#raw(diff);
    return true;
  };

  /** Forgets what is on screen (after something else wrote to it). */
  invalidate(): void {
    this.#screen = [];
    this.#raw(`${ESC}2J`);
  }

  dispose(): void {
    this.#out.off('resize', this.#onResize);
  }
}
