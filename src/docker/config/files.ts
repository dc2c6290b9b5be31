import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { DROP_IN_NAME, StagedChange, type Sources } from './plan.js';
import { parseDaemonJson, parseDockerdFlags, type DaemonJson } from './sources.js';
import { effectiveExecStart, orderDropIns, type UnitFile } from './systemd.js';

/** The file side of dockerd options: reading daemon.json and the unit, staged changes, backups. */

export const DEFAULT_DAEMON_JSON = '/etc/docker/daemon.json';
export const SYSTEMD_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
];

export interface Locations {
  /** daemon.json; undefined: dockerd's --config-file when the unit gives one, else /etc/docker/daemon.json. */
  configPath: string | undefined;
  /** Directories searched for the unit and its drop-ins, first one wins; drop-ins are written in the first. */
  unitDirs: string[];
  unit: string;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export async function readDaemonJson(path: string): Promise<DaemonJson> {
  try {
    return parseDaemonJson(path, await readFile(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return parseDaemonJson(path, null);
    return parseDaemonJson(path, null, `cannot read it: ${e.code ?? e.message}`);
  }
}

export function unitFiles(loc: Locations): UnitFile[] {
  const main = loc.unitDirs.map((d) => join(d, loc.unit)).find((p) => readText(p) !== undefined);
  const dropIns: string[] = [];
  for (const d of loc.unitDirs) {
    const dir = join(d, `${loc.unit}.d`);
    try {
      if (!statSync(dir).isDirectory()) continue;
      for (const f of readdirSync(dir)) if (f.endsWith('.conf')) dropIns.push(join(dir, f));
    } catch {
      /* no drop-in directory */
    }
  }
  return [main, ...orderDropIns(dropIns)]
    .filter((p): p is string => p !== undefined)
    .map((path) => ({ path, text: readText(path) ?? '' }));
}

export async function readSources(loc: Locations): Promise<Sources> {
  const files = unitFiles(loc);
  const exec = effectiveExecStart(files, readText);
  const flags = parseDockerdFlags(exec?.argv ?? []);
  const configPath = loc.configPath ?? flags.configFile ?? DEFAULT_DAEMON_JSON;
  const dropInPath = join(loc.unitDirs[0]!, `${loc.unit}.d`, DROP_IN_NAME);
  return {
    daemon: await readDaemonJson(configPath),
    exec,
    flags,
    dropInPath,
    dropInText: readText(dropInPath) ?? null,
  };
}

// ----- staged changes -----

const StagedFile = z.object({ version: z.literal(1), staged: z.array(StagedChange) });

export async function loadStaged(file: string): Promise<StagedChange[]> {
  try {
    return StagedFile.parse(JSON.parse(await readFile(file, 'utf8'))).staged;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function saveStaged(file: string, staged: StagedChange[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, JSON.stringify({ version: 1, staged }, null, 2) + '\n', { mode: 0o600 });
}

// ----- backups -----

const BackupFile = z.object({
  path: z.string(),
  /** The bytes before apply, base64; null when the file did not exist (restore removes it). */
  content: z.string().nullable(),
  mode: z.number().nullable(),
});
export const Backup = z.object({ id: z.string(), at: z.string(), files: z.array(BackupFile) });
export type Backup = z.infer<typeof Backup>;

/** Saves the current bytes of `paths` before they are changed; returns the backup. */
export async function backup(dir: string, paths: string[]): Promise<Backup> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const at = new Date().toISOString();
  const id = at.replace(/[:.]/g, '-');
  const files = await Promise.all(
    paths.map(async (path) => {
      try {
        const [bytes, st] = await Promise.all([readFile(path), stat(path)]);
        return { path, content: bytes.toString('base64'), mode: st.mode & 0o7777 };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, content: null, mode: null };
        throw err;
      }
    }),
  );
  const b: Backup = { id, at, files };
  await writeFileAtomic(join(dir, `${id}.json`), JSON.stringify(b, null, 2) + '\n', { mode: 0o600 });
  return b;
}

/** Puts every file of a backup back, byte for byte (or removes one that did not exist). */
export async function restore(b: Backup): Promise<void> {
  for (const f of b.files) {
    if (f.content === null) await unlink(f.path).catch(() => undefined);
    else await writeFileAtomic(f.path, Buffer.from(f.content, 'base64'), { mode: f.mode ?? 0o644 });
  }
}

export async function listBackups(dir: string): Promise<Backup[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json') && !n.endsWith('.restored.json'));
  } catch {
    return [];
  }
  const all = await Promise.all(
    names.sort().map(async (n) => Backup.parse(JSON.parse(await readFile(join(dir, n), 'utf8')))),
  );
  return all;
}

/** A backup that has been rolled back to is kept, but no longer offered as "the last". */
export async function markRestored(dir: string, b: Backup): Promise<void> {
  await rename(join(dir, `${b.id}.json`), join(dir, `${b.id}.restored.json`));
}

/** Temp file, fsync, rename; an existing file keeps its mode and owner. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  await writeFileAtomic(path, text);
}
