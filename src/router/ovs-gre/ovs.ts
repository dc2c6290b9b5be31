import { run, type RunResult } from '../../net/exec.js';

/**
 * Open vSwitch's own tools, pointed at one switch: ovs-vsctl (configuration, `--format=json` to read),
 * ovs-appctl (the running daemon: tunnel routes, ARP, BFD). Argument arrays only, as everywhere.
 */

/** A cell of ovs-vsctl's JSON table, decoded: maps become objects, sets arrays, uuids their text. */
export type OvsCell = string | number | boolean | OvsCell[] | { [k: string]: OvsCell };

export function decodeCell(raw: unknown): OvsCell {
  if (!Array.isArray(raw)) return raw as OvsCell;
  const [tag, value] = raw as [string, unknown];
  if (tag === 'map')
    return Object.fromEntries(
      (value as Array<[unknown, unknown]>).map(([k, v]) => [String(k), decodeCell(v)]),
    );
  if (tag === 'set') return (value as unknown[]).map(decodeCell);
  if (tag === 'uuid' || tag === 'named-uuid') return String(value);
  return raw.map(decodeCell);
}

/** `ovs-vsctl --format=json list TABLE`: {headings, data} into one object per row. */
export function parseOvsTable(text: string): Array<Record<string, OvsCell>> {
  const t = JSON.parse(text) as { headings: string[]; data: unknown[][] };
  return t.data.map((row) => Object.fromEntries(t.headings.map((h, i) => [h, decodeCell(row[i])])));
}

/** A single-valued optional column reads as an empty set when unset. */
export function scalar(cell: OvsCell | undefined): string | null {
  if (cell === undefined || (Array.isArray(cell) && cell.length === 0)) return null;
  return Array.isArray(cell) ? String(cell[0]) : String(cell);
}

export function mapCell(cell: OvsCell | undefined): Record<string, string> {
  if (!cell || Array.isArray(cell) || typeof cell !== 'object') return {};
  return Object.fromEntries(Object.entries(cell).map(([k, v]) => [k, String(v)]));
}

export interface OvsTarget {
  /** ovsdb-server's socket, `unix:PATH`. */
  db: string;
  /** ovs-vswitchd's control socket; undefined: the default one (the host's service). */
  vswitchdCtl: string | undefined;
  /** OVS_RUNDIR and friends for a private switch, so nothing lands in /run/openvswitch. */
  env: NodeJS.ProcessEnv | undefined;
}

export class Ovs {
  constructor(readonly target: OvsTarget) {}

  vsctl(args: readonly string[]): Promise<RunResult> {
    return run('ovs-vsctl', [`--db=${this.target.db}`, '--timeout=15', ...args], this.#opts());
  }

  /** OpenFlow queries (live port counters), through the bridge's management socket in the switch's rundir. */
  ofctl(args: readonly string[]): Promise<RunResult> {
    return run('ovs-ofctl', args, this.#opts(10_000));
  }

  appctl(args: readonly string[]): Promise<RunResult> {
    return run('ovs-appctl', ['-t', this.target.vswitchdCtl ?? 'ovs-vswitchd', ...args], this.#opts());
  }

  async list(
    table: string,
    columns: readonly string[],
    records: readonly string[] = [],
  ): Promise<Array<Record<string, OvsCell>>> {
    const { stdout } = await this.vsctl([
      '--format=json',
      `--columns=${columns.join(',')}`,
      'list',
      table,
      ...records,
    ]);
    return parseOvsTable(stdout);
  }

  async ports(bridge: string): Promise<string[]> {
    const { stdout } = await this.vsctl(['list-ports', bridge]);
    return stdout.split('\n').filter(Boolean);
  }

  /** Whether ovsdb-server answers (and, with `vswitchd`, whether ovs-vswitchd does too). */
  async answers(vswitchd: boolean): Promise<boolean> {
    try {
      await run('ovs-vsctl', [`--db=${this.target.db}`, '--timeout=2', 'show'], this.#opts(5_000));
      if (vswitchd)
        await run(
          'ovs-appctl',
          ['-t', this.target.vswitchdCtl ?? 'ovs-vswitchd', 'version'],
          this.#opts(5_000),
        );
      return true;
    } catch {
      return false;
    }
  }

  #opts(timeoutMs = 30_000): { env?: NodeJS.ProcessEnv; timeoutMs: number } {
    return this.target.env ? { env: { ...process.env, ...this.target.env }, timeoutMs } : { timeoutMs };
  }
}
