// The systemd side of dockerd's settings: the effective ExecStart= of its unit and drop-ins, with the
// Environment and EnvironmentFile variables expanded, split the way systemd does. Pure: the caller reads the
// files. Split from sources.ts: it follows systemd's rules, not dockerd's.
import { basename } from 'node:path';

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
