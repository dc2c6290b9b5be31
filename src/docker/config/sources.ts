// dockerd's settings as its sources hold them (daemon.json, the flags on its command line) and which one is in
// effect, parsed the way dockerd does; pure. Reading the command line out of the systemd unit is systemd.ts.
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import {
  DOCKERD_BOOL_FLAGS,
  DOCKERD_FILE_KEYS,
  OPTION_KEYS,
  OPTIONS,
  optionForFlag,
  type OptionKey,
  type OptionValue,
} from './options.js';
import { checkValue, parsePoolFlag } from './values.js';
import { XnetError } from '../../errors.js';
import type { ExecStart } from './systemd.js';

/**
 * Where dockerd's options come from, parsed from text: daemon.json (read as JSONC so comments are reported,
 * not fatal), and the ExecStart of the systemd unit and its drop-ins. Pure: the caller reads the files.
 */

export interface DaemonJson {
  path: string;
  /** absent: no file (dockerd uses defaults); unreadable / invalid: reported, and never overwritten. */
  state: 'absent' | 'ok' | 'unreadable' | 'invalid';
  error: string | null;
  /** The exact bytes on disk, when readable. */
  text: string | null;
  /** Every key in the file, in order. */
  raw: Record<string, unknown>;
  /** Our options found in the file (valid ones; invalid ones are in `problems`). */
  values: Partial<Record<OptionKey, OptionValue>>;
  /** Keys dockerd 20.10 does not know: it refuses to start with them. */
  unknownKeys: string[];
  /** Comments or trailing commas: fine for us, fatal for dockerd's JSON parser. */
  nonStandard: string | null;
  problems: string[];
}

export function parseDaemonJson(path: string, text: string | null, readError?: string): DaemonJson {
  const base: DaemonJson = {
    path,
    state: 'absent',
    error: null,
    text,
    raw: {},
    values: {},
    unknownKeys: [],
    nonStandard: null,
    problems: [],
  };
  if (readError !== undefined) return { ...base, state: 'unreadable', error: readError };
  if (text === null) return base;
  if (text.trim() === '') return { ...base, state: 'ok' };
  const errors: ParseError[] = [];
  const doc: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const e = errors[0]!;
    const { line, column } = lineCol(text, e.offset);
    return {
      ...base,
      state: 'invalid',
      error: `not JSON: ${printParseErrorCode(e.error)} at line ${line} column ${column}`,
    };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return {
      ...base,
      state: 'invalid',
      error: 'not a JSON object (daemon.json holds { "key": value, ... })',
    };
  const raw = doc as Record<string, unknown>;
  const result: DaemonJson = { ...base, state: 'ok', raw };
  try {
    JSON.parse(text);
  } catch {
    result.nonStandard = 'it has comments or trailing commas, which dockerd 20.10 refuses at start-up';
  }
  for (const [key, value] of Object.entries(raw)) {
    if (!DOCKERD_FILE_KEYS.has(key)) {
      result.unknownKeys.push(key);
      continue;
    }
    if (!(OPTION_KEYS as readonly string[]).includes(key)) continue;
    try {
      result.values[key as OptionKey] = checkValue(key as OptionKey, value);
    } catch (err) {
      result.problems.push(`${path}: ${(err as Error).message}`);
    }
  }
  return result;
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

// ----- dockerd flags -----

export interface FlagSetting {
  key: OptionKey;
  value: OptionValue;
  /** Indexes in argv of the words that set it, so a rewrite can remove exactly them. */
  indexes: number[];
}

export interface ParsedFlags {
  settings: Partial<Record<OptionKey, FlagSetting>>;
  /** `--config-file`, when given. */
  configFile: string | null;
  problems: string[];
}

/** Reads dockerd's command line the way pflag does: `--name=v`, `--name v`, `-b v`, `-bv`, bools with `=`. */
export function parseDockerdFlags(argv: string[]): ParsedFlags {
  const out: ParsedFlags = { settings: {}, configFile: null, problems: [] };
  const raw = new Map<OptionKey, { values: string[]; indexes: number[] }>();
  for (let i = 1; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') break;
    if (!word.startsWith('-') || word === '-') continue;
    let name: string;
    let value: string | undefined;
    const used = [i];
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      value = eq < 0 ? undefined : word.slice(eq + 1);
    } else {
      name = word[1]!;
      const rest = word.slice(2);
      value = rest === '' ? undefined : rest.replace(/^=/, '');
    }
    const isBool = DOCKERD_BOOL_FLAGS.has(name);
    if (value === undefined && !isBool && i + 1 < argv.length) {
      value = argv[i + 1]!;
      used.push(++i);
    }
    if (name === 'config-file') out.configFile = value ?? null;
    const key = optionForFlag(name);
    if (!key) continue;
    const entry = raw.get(key) ?? { values: [], indexes: [] };
    entry.values.push(value ?? 'true');
    entry.indexes.push(...used);
    raw.set(key, entry);
  }
  for (const [key, { values, indexes }] of raw) {
    const spec = OPTIONS[key];
    try {
      const value =
        spec.kind === 'pools'
          ? checkValue(
              key,
              values.map((v) => parsePoolFlag(key, v)),
            )
          : spec.repeated
            ? checkValue(key, values)
            : checkValue(key, values.at(-1));
      out.settings[key] = { key, value, indexes };
    } catch (err) {
      out.problems.push(`flag --${spec.flag}: ${err instanceof XnetError ? err.message : String(err)}`);
    }
  }
  return out;
}

// ----- effective -----

export type OptionSource = 'daemon.json' | 'flag' | 'default' | 'conflict';

export interface EffectiveOption {
  key: OptionKey;
  value: OptionValue | undefined;
  source: OptionSource;
  /** The file it comes from (daemon.json's path, or the unit/drop-in with the ExecStart). */
  file: string | null;
  fileValue: OptionValue | undefined;
  flagValue: OptionValue | undefined;
  defaultText: string;
}

export function effectiveOptions(
  daemon: DaemonJson,
  exec: ExecStart | null,
  flags: ParsedFlags,
): EffectiveOption[] {
  return OPTION_KEYS.map((key) => {
    const inFile = key in daemon.raw;
    const fileValue = daemon.values[key];
    const flagValue = flags.settings[key]?.value;
    const base = { key, fileValue, flagValue, defaultText: OPTIONS[key].defaultText };
    if (inFile && flagValue !== undefined)
      return { ...base, value: undefined, source: 'conflict' as const, file: daemon.path };
    if (inFile) return { ...base, value: fileValue, source: 'daemon.json' as const, file: daemon.path };
    if (flagValue !== undefined)
      return { ...base, value: flagValue, source: 'flag' as const, file: exec?.file ?? null };
    return { ...base, value: OPTIONS[key].default, source: 'default' as const, file: null };
  });
}
