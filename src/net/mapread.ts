import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LongLivedChild, type Answer } from './long-lived.js';
import { diesWithParent } from './netns.js';

/**
 * The agent's session with xnet-mapread (bpf/mapread.c): pinned maps read as rows of the key in hex and the
 * value's 64-bit words summed over the CPUs, and entries set and deleted, through one long-lived process (no
 * process per read or write). It replaced `bpftool -j -p batch` for the counters' read each second (130 KB of
 * JSON a second per host at 50 peers, which bpftool formatted and the agent framed line by line and parsed) and
 * for the VXLAN admission's writes. Where it was not built (no C compiler), both go through bpftool.
 */

/** Built by scripts/build-bpf.sh beside the admission's object. */
export const MAPREAD = fileURLToPath(new URL('./bpf/xnet-mapread', import.meta.url));

export interface MapRow {
  key: Buffer;
  /** The value's 64-bit words, each summed over the CPUs (exact below 2^53: counters are). */
  words: number[];
}

/**
 * One request's answers (`commands` of them, in order), from the lines the reader printed. Every answer is read
 * to its end, a failed one too ("! reason"), so the next request's lines are its own; the request fails with
 * the first reason. Pure.
 */
export class MapReadFrames {
  readonly #answers: MapRow[][] = [];
  #rows: MapRow[] = [];
  #error: string | undefined;

  constructor(private readonly commands: number) {}

  read(line: string): Answer<MapRow[][]> {
    if (line.startsWith('! ')) {
      this.#error ??= line.slice(2);
      return this.#end();
    }
    if (line === '.') return this.#end();
    const [hex, ...words] = line.split(' ');
    if (!hex || !/^(?:[0-9a-f]{2})+$/.test(hex) || words.some((w) => !/^\d+$/.test(w)))
      throw new Error(`xnet-mapread: a row that is not one: ${line.slice(0, 80)}`);
    this.#rows.push({ key: Buffer.from(hex, 'hex'), words: words.map(Number) });
    return undefined;
  }

  #end(): Answer<MapRow[][]> {
    this.#answers.push(this.#rows);
    this.#rows = [];
    if (this.#answers.length < this.commands) return undefined;
    return this.#error !== undefined
      ? { error: new Error(`xnet-mapread: ${this.#error}`) }
      : { value: this.#answers };
  }
}

export class MapReader {
  readonly #child: LongLivedChild;

  constructor(readonly path = MAPREAD) {
    this.#child = new LongLivedChild({
      argv: () => diesWithParent([path, []]),
      name: 'xnet-mapread',
      timeoutMs: 5_000,
      unref: true,
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** `sum PATH`, `keys PATH`, `get PATH KEY`, `set PATH KEY VALUE`, `del PATH KEY` (hex; see mapread.c). */
  run(commands: readonly string[]): Promise<MapRow[][]> {
    if (commands.length === 0) return Promise.resolve([]);
    for (const c of commands)
      if (!/^((sum|keys) \S+|(get|del) \S+ [0-9a-f]+|set \S+ [0-9a-f]+ [0-9a-f]+)$/.test(c))
        throw new Error(`xnet-mapread: not a command: ${c}`);
    const frames = new MapReadFrames(commands.length);
    return this.#child.request(`${commands.join('\n')}\n`, (l) => frames.read(l));
  }

  close(): void {
    this.#child.close();
  }
}

let reader: MapReader | null | undefined;

/** This process's reader, started on first use; undefined where xnet-mapread was not built. */
export function mapReader(): MapReader | undefined {
  if (reader === undefined) reader = existsSync(MAPREAD) ? new MapReader() : null;
  return reader ?? undefined;
}

/** Ends the reader (the agent closes); the next use starts it again. */
export function closeMapReader(): void {
  useMapReader(undefined);
}

/**
 * Which reader this process uses: the one at `path` (tests run from src/, and give dist's), none (null: the
 * bpftool path, as where it was not built), or undefined: as built, found on first use again.
 */
export function useMapReader(path: string | null | undefined): void {
  reader?.close();
  reader = path === undefined ? undefined : path === null ? null : new MapReader(path);
}
