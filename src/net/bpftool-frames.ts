import { failed } from '../errors.js';
import type { Answer } from './long-lived.js';

/**
 * The framing of a long-lived `bpftool -j -p batch file -` (bpftool-session.ts): which lines are one command's answer.
 * Checked with bpftool v7.1.0: the batch is one JSON array, printed as it goes; without -p it is one line that
 * reaches a pipe only at exit, with -p (and stdout line-buffered) each line as soon as it is written. Every
 * command is an object `{"command": [...], "output": ...}` at a 4-space indent, its "output" key at 8 spaces;
 * the json writer starts each line with its line break, so an output's last line is flushed when the object is
 * closed, right after the command ran, and the object's own closing line only with the next command. So a
 * command's answer is complete at its output's end: the "output" line itself for a one-line value (a write's
 * `null`, `[]`), else the next line at 8 spaces that closes it. A failing command's output is
 * `{"error": "..."}`, after which bpftool closes the array and exits. Pure.
 */

export interface BatchResult {
  command: string[];
  output: unknown;
}

/** Where a command's object starts: the array's first, or the one after the last command's closing brace. */
const OBJECT_START = new Set(['[{', '    },{']);
const OUTPUT = '        "output": ';
/** The closing line of a multi-line output (an object or a list). */
const OUTPUT_END = /^ {8}[}\]]$/;

/** One request's answers: `commands` results in order, or the first command's error. */
export class BatchFrames {
  #lines: string[] | undefined;
  #inOutput = false;
  #started = false;
  #failed = false;
  readonly #results: BatchResult[] = [];

  constructor(private readonly commands: number) {}

  /** bpftool printed something of this request: one of its commands started, so it may have taken effect. */
  get started(): boolean {
    return this.#started;
  }

  /** One of its commands answered with an error: bpftool runs no line after it (its batch stops there). */
  get failed(): boolean {
    return this.#failed;
  }

  /** Takes the next line the session printed (LongLivedChild's reader). */
  read(line: string): Answer<BatchResult[]> {
    if (OBJECT_START.has(line)) {
      this.#started = true;
      this.#lines = [];
      this.#inOutput = false;
      return undefined;
    }
    if (!this.#lines) return undefined; // the array's or an object's closing line
    this.#lines.push(line);
    if (this.#inOutput) {
      if (!OUTPUT_END.test(line)) return undefined;
    } else if (line.startsWith(OUTPUT)) {
      this.#inOutput = /[{[]$/.test(line);
      if (this.#inOutput) return undefined;
    } else return undefined;
    const result = JSON.parse(`{${this.#lines.join('\n')}}`) as BatchResult;
    this.#lines = undefined;
    const error = errorOf(result.output);
    if (error !== undefined) {
      this.#failed = true;
      return { error: failed(`bpftool ${result.command.join(' ')}: ${error}`) };
    }
    this.#results.push(result);
    return this.#results.length === this.commands ? { value: this.#results } : undefined;
  }
}

const errorOf = (output: unknown): string | undefined =>
  output && typeof output === 'object' && !Array.isArray(output) && 'error' in output
    ? String((output as { error: unknown }).error)
    : undefined;

/** A batch line: one line, not blank, not a comment (bpftool skips those: the answers would be one short). */
export function checkBatchLine(line: string): void {
  if (/[\n\r]/.test(line) || !line.trim() || line.trimStart().startsWith('#'))
    throw new Error(`not a bpftool batch line: ${JSON.stringify(line)}`);
}
