// One piece (over 300 lines): dockerd's settings as its three sources hold them (daemon.json, the unit's
// ExecStart, its drop-ins and EnvironmentFiles), parsed the way dockerd and systemd do, pure.
import { basename } from 'node:path';
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

// ----- systemd -----

export interface UnitFile {
  path: string;
  text: string;
}

export interface ExecStart {
  argv: string[];
  /** The file the effective ExecStart= line is in. */
  file: string;
  /** Variables that were expanded into argv, e.g. DOCKER_OPTS from /etc/default/docker. */
  expanded: string[];
}

/** Orders drop-ins the way systemd does: by file name, a name in an earlier directory shadowing later ones. */
export function orderDropIns(paths: string[]): string[] {
  const byName = new Map<string, string>();
  for (const p of paths) if (!byName.has(basename(p))) byName.set(basename(p), p);
  return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

function logicalLines(text: string): string[] {
  const out: string[] = [];
  let acc = '';
  for (const line of text.split('\n')) {
    if (acc === '' && /^\s*[#;]/.test(line)) continue;
    if (line.endsWith('\\')) {
      acc += line.slice(0, -1) + ' ';
      continue;
    }
    out.push(acc + line);
    acc = '';
  }
  if (acc) out.push(acc);
  return out;
}

/** Parses an EnvironmentFile (KEY=VALUE lines, optional quotes). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!.trim();
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    env[m[1]!] = v;
  }
  return env;
}

/** systemd's command-line splitting: quotes, backslash escapes, `$VAR` split into words, `${VAR}` as one. */
export function splitExecLine(line: string, env: Record<string, string>, expanded: string[]): string[] {
  const words: string[] = [];
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && /\s/.test(line[i]!)) i++;
    if (i >= n) break;
    let word = '';
    let quoted = false;
    let splitVar: string | undefined;
    while (i < n && !/\s/.test(line[i]!)) {
      const c = line[i]!;
      if (c === '"' || c === "'") {
        quoted = true;
        const end = line.indexOf(c, i + 1);
        const body = end < 0 ? line.slice(i + 1) : line.slice(i + 1, end);
        word += body.replace(/\\(.)/g, '$1');
        i = end < 0 ? n : end + 1;
      } else if (c === '\\' && i + 1 < n) {
        word += line[i + 1];
        i += 2;
      } else if (c === '$') {
        const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}/.exec(line.slice(i));
        const bare = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(line.slice(i));
        if (braced) {
          word += env[braced[1]!] ?? '';
          expanded.push(braced[1]!);
          i += braced[0].length;
        } else if (bare && word === '') {
          splitVar = env[bare[1]!] ?? '';
          expanded.push(bare[1]!);
          i += bare[0].length;
        } else {
          word += c;
          i++;
        }
      } else {
        word += c;
        i++;
      }
    }
    if (splitVar !== undefined) words.push(...splitVar.split(/\s+/).filter(Boolean));
    else if (word !== '' || quoted) words.push(word);
  }
  return words;
}

/**
 * The effective ExecStart= of a unit and its drop-ins (in order): an empty `ExecStart=` resets it.
 * `readEnv` returns an EnvironmentFile's text, or undefined when it does not exist.
 */
export function effectiveExecStart(
  files: UnitFile[],
  readEnv: (path: string) => string | undefined,
): ExecStart | null {
  const env: Record<string, string> = {};
  let current: { line: string; file: string } | null = null;
  for (const f of files) {
    let section = '';
    for (const line of logicalLines(f.text)) {
      const t = line.trim();
      const sec = /^\[(.+)\]$/.exec(t);
      if (sec) {
        section = sec[1]!;
        continue;
      }
      if (section !== 'Service') continue;
      const m = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(t);
      if (!m) continue;
      const [, key, value] = m;
      if (key === 'Environment') {
        for (const w of splitExecLine(value!, {}, [])) {
          const eq = w.indexOf('=');
          if (eq > 0) env[w.slice(0, eq)] = w.slice(eq + 1);
        }
      } else if (key === 'EnvironmentFile') {
        const path = value!.replace(/^-/, '').trim();
        const text = readEnv(path);
        if (text !== undefined) Object.assign(env, parseEnvFile(text));
      } else if (key === 'ExecStart') {
        current = value!.trim() === '' ? null : { line: value!, file: f.path };
      }
    }
  }
  if (!current) return null;
  const expanded: string[] = [];
  const argv = splitExecLine(current.line, env, expanded);
  if (argv[0]) argv[0] = argv[0].replace(/^[-@:+!]+/, '');
  return { argv, file: current.file, expanded };
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
