import { spawn } from 'node:child_process';

/**
 * Clock skew with peers, measured through the gossip itself: every member answers the Serf query
 * `xnet-clock` with its wall clock (ms since the epoch), and the asker notes when each answer arrives. The
 * peer read its clock somewhere between the query leaving and the answer arriving, so its offset is its
 * reading minus the middle of that round trip, give or take half of it (NTP's own reasoning, one sample).
 */
export const CLOCK_QUERY = 'xnet-clock';

export interface PeerClock {
  /** The member's Serf name. */
  name: string;
  /** Its clock minus ours, in ms: positive when it is ahead. */
  offsetMs: number;
  /** Half the round trip: the true offset lies within offsetMs ± this. */
  uncertaintyMs: number;
}

/**
 * Offsets from the `serf query` CLI's lines with the time each arrived (`Response from 'NAME': MS`). The round
 * trip starts at `startedAt`, taken before the CLI was spawned: the one moment surely before the query left.
 * (The CLI's `Query ... dispatched` line is not: Node reads it when it gets to it, and on a loaded machine it
 * came in the same read as the answers, a round trip of 0 ms with the peer's reading outside it.) The answer's
 * arrival is surely after the peer read its clock, so the true offset always lies within offsetMs ± uncertaintyMs.
 * `self` is left out. Pure.
 */
export function clockReadings(
  startedAt: number,
  lines: readonly { at: number; text: string }[],
  self: string,
): PeerClock[] {
  const out: PeerClock[] = [];
  for (const { at, text } of lines) {
    const m = /^Response from '([^']+)': (\d{12,})\s*$/.exec(text.trim());
    if (!m || m[1] === self || out.some((c) => c.name === m[1])) continue;
    const half = (at - startedAt) / 2;
    out.push({
      name: m[1]!,
      offsetMs: Math.round(Number(m[2]) - (startedAt + half)),
      uncertaintyMs: Math.ceil(half),
    });
  }
  return out;
}

/** Asks every member for its clock through the serf CLI (streamed, so each answer is timed as it arrives). */
export function askClocks(
  rpcAddr: string,
  env: NodeJS.ProcessEnv,
  self: string,
  timeoutMs = 1_000,
): Promise<PeerClock[]> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    // With a payload: a query without one never reached our RPC stream's handler (serf 0.9).
    const child = spawn(
      'serf',
      ['query', `-rpc-addr=${rpcAddr}`, `-timeout=${timeoutMs}ms`, CLOCK_QUERY, 'now'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: { at: number; text: string }[] = [];
    let buf = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      const at = Date.now();
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const text of parts) lines.push({ at, text });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 5_000);
    child.on('error', (e) => {
      clearTimeout(kill);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(kill);
      if (code !== 0)
        reject(new Error(`serf query ${CLOCK_QUERY} exited ${code}: ${err.trim() || buf.trim()}`));
      else resolve(clockReadings(startedAt, lines, self));
    });
  });
}
