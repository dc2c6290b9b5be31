import { applyEdits, modify, parse as parseJsonc } from 'jsonc-parser';
import { StagedChange } from '../../api/dockerd-values.js';
import { badInput, failed } from '../../errors.js';
import { unifiedDiff } from './diff.js';
import { OPTION_KEYS, OPTIONS, OptionValue, isOptionKey, type OptionKey } from './options.js';
import { checkValue, flagArgs } from './values.js';
import { parseDockerdFlags, type DaemonJson, type ParsedFlags } from './sources.js';
import type { ExecStart } from './systemd.js';

/**
 * From what is on disk and what the operator staged, the files `apply` would write. Pure.
 * A staged key goes where it already lives (a flag stays a flag); new keys go to daemon.json; a key set both
 * ways (which dockerd refuses) is moved to where `to` says, daemon.json unless told otherwise.
 */

export { StagedChange };

export const DROP_IN_NAME = '50-xnet-dockerd.conf';

export interface Sources {
  daemon: DaemonJson;
  exec: ExecStart | null;
  flags: ParsedFlags;
  /** Where a drop-in that changes flags is written (…/docker.service.d/50-xnet-dockerd.conf). */
  dropInPath: string;
  /** That drop-in's current text, null when absent. */
  dropInText: string | null;
}

export interface PlannedFile {
  path: string;
  before: string | null;
  after: string;
  diff: string;
}

export interface Plan {
  daemonJson: PlannedFile | null;
  dropIn: PlannedFile | null;
  /** After apply: keys in the file, flags, and the values dockerd would run with. */
  fileRaw: Record<string, unknown>;
  flags: ParsedFlags;
  /** dockerd's command line after apply. */
  argv: string[];
  notes: string[];
}

/** Checks one `KEY=VALUE` (or an unset) at stage time: unknown keys and malformed values are refused here. */
export function stageChange(
  daemon: DaemonJson,
  key: string,
  value: unknown,
  to?: StagedChange['to'],
): StagedChange {
  if (value === null) {
    if (isOptionKey(key) || key in daemon.raw) return { key, value: null, ...(to ? { to } : {}) };
    throw unknownKey(key);
  }
  if (!isOptionKey(key)) throw unknownKey(key);
  return { key, value: checkValue(key, value), ...(to ? { to } : {}) };
}

function unknownKey(key: string): Error {
  return badInput(
    key,
    `"${key}" is not a dockerd network option xnet-tui manages`,
    `known keys: ${OPTION_KEYS.join(', ')}`,
  );
}

/** Merges a new change into the staged list (the last word on a key wins). */
export function mergeStaged(staged: StagedChange[], change: StagedChange): StagedChange[] {
  return [...staged.filter((s) => s.key !== change.key), change];
}

export function plan(src: Sources, staged: StagedChange[]): Plan {
  const notes: string[] = [];
  const fileEdits = new Map<string, OptionValue | undefined>();
  const flagEdits = new Map<OptionKey, OptionValue | undefined>();
  for (const s of staged) {
    const inFile = s.key in src.daemon.raw;
    const inFlags = isOptionKey(s.key) && src.flags.settings[s.key] !== undefined;
    if (s.value === null) {
      if (inFile) fileEdits.set(s.key, undefined);
      if (inFlags) flagEdits.set(s.key as OptionKey, undefined);
      continue;
    }
    const key = s.key as OptionKey;
    const to = s.to ?? (inFlags && !inFile ? 'flag' : 'daemon.json');
    if (to === 'flag') {
      flagEdits.set(key, s.value);
      if (inFile) fileEdits.set(key, undefined);
    } else {
      fileEdits.set(key, s.value);
      if (inFlags) {
        flagEdits.set(key, undefined);
        notes.push(`--${OPTIONS[key].flag} moves from the command line to daemon.json`);
      }
    }
  }
  // A file with comments is rewritten as plain JSON whenever we restart dockerd: it cannot read them.
  const rewriteFile = fileEdits.size > 0 || (src.daemon.nonStandard !== null && staged.length > 0);
  let daemonJson: PlannedFile | null = null;
  let fileRaw = src.daemon.raw;
  // dockerd would not start with it either, so no change is applied until the operator fixes it.
  if (staged.length > 0 && (src.daemon.state === 'unreadable' || src.daemon.state === 'invalid'))
    throw failed(
      `${src.daemon.path} is ${src.daemon.state}: ${src.daemon.error}; xnet-tui will not overwrite it`,
      `fix or move it by hand, then try again (\`xnet-tui dockerd show\` re-reads it)`,
    );
  if (rewriteFile) {
    const after = writeDaemonJson(src.daemon, fileEdits);
    if (src.daemon.nonStandard)
      notes.push(`${src.daemon.path}: comments and trailing commas removed (dockerd rejects them)`);
    fileRaw = (parseJsonc(after) ?? {}) as Record<string, unknown>;
    daemonJson = fileChange(src.daemon.path, src.daemon.text, after);
  }
  let dropIn: PlannedFile | null = null;
  let flags = src.flags;
  let argv = src.exec?.argv ?? [];
  if (flagEdits.size > 0) {
    if (!src.exec)
      throw failed(
        'no ExecStart= for dockerd was found in the unit or its drop-ins, so a flag cannot be changed',
        'stage the key with `--to daemon.json`, or pass the agent --dockerd-unit-dir',
      );
    argv = rewriteArgv(src.exec.argv, src.flags, flagEdits);
    const after = dropInText(argv, src.exec.expanded);
    flags = parseDockerdFlags(argv);
    dropIn = fileChange(src.dropInPath, src.dropInText, after);
    if (src.exec.expanded.length)
      notes.push(`the drop-in spells out ${src.exec.expanded.map((v) => '$' + v).join(', ')} as it is now`);
  }
  return { daemonJson, dropIn, fileRaw, flags, argv, notes };
}

function fileChange(path: string, before: string | null, after: string): PlannedFile | null {
  if (before === after) return null;
  return {
    path,
    before,
    after,
    diff: unifiedDiff(before === null ? '/dev/null' : path, path, before ?? '', after),
  };
}

/** Edits daemon.json keeping its key order and layout; a file dockerd cannot parse is re-printed as JSON. */
export function writeDaemonJson(daemon: DaemonJson, edits: Map<string, OptionValue | undefined>): string {
  const fmt = { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } };
  if (daemon.state === 'absent' || (daemon.text ?? '').trim() === '' || daemon.nonStandard) {
    const obj: Record<string, unknown> = { ...daemon.raw };
    for (const [k, v] of edits) {
      if (v === undefined) delete obj[k];
      else obj[k] = v;
    }
    return JSON.stringify(obj, null, 2) + '\n';
  }
  let text = daemon.text!;
  for (const [k, v] of edits) text = applyEdits(text, modify(text, [k], v, fmt));
  return text;
}

/** Removes the words that set edited options and appends the new ones, leaving every other word alone. */
export function rewriteArgv(
  argv: string[],
  flags: ParsedFlags,
  edits: Map<OptionKey, OptionValue | undefined>,
): string[] {
  const drop = new Set<number>();
  for (const key of edits.keys()) for (const i of flags.settings[key]?.indexes ?? []) drop.add(i);
  const kept = argv.filter((_, i) => !drop.has(i));
  const added = [...edits.entries()].flatMap(([k, v]) => (v === undefined ? [] : flagArgs(k, v)));
  return [...kept, ...added];
}

function quoteWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `"${w.replace(/(["\\$])/g, '\\$1')}"`;
}

export function dropInText(argv: string[], expanded: string[]): string {
  return [
    '# Written by `xnet-tui dockerd apply`: dockerd network options that are command-line flags.',
    '# `xnet-tui dockerd rollback` restores the previous version; the agent keeps backups in its state dir.',
    ...(expanded.length
      ? [`# ${expanded.map((v) => '$' + v).join(', ')} expanded as they were when written.`]
      : []),
    '[Service]',
    'ExecStart=',
    `ExecStart=${argv.map(quoteWord).join(' ')}`,
    '',
  ].join('\n');
}
