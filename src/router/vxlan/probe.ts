import { run } from '../../net/exec.js';
import { inNetns, type NetnsPath } from '../../net/netns.js';

/**
 * Data-plane truth: an ICMPv6 echo to each peer's bridge link-local address crosses the overlay itself
 * (bridge -> VXLAN -> underlay -> peer's VXLAN -> peer's bridge), never the underlay alone. One fping for
 * all peers per size: a small probe says whether VXLAN carries anything, a full-size one whether the MTU holds.
 */
export interface ProbeResult {
  target: string;
  rttMs: number | null;
}

/** Parses `fping -q -C 1` output: `fe80::1%xnet : 0.05` or `fe80::1%xnet : -`. */
export function parseFpingC(output: string): ProbeResult[] {
  const results: ProbeResult[] = [];
  for (const line of output.split('\n')) {
    const m = /^(\S+)\s+:\s+(\S+)\s*$/.exec(line.trim());
    if (!m) continue;
    const rtt = m[2] === '-' ? null : Number(m[2]);
    results.push({ target: m[1]!, rttMs: rtt !== null && Number.isFinite(rtt) ? rtt : null });
  }
  return results;
}

export async function probe(
  netns: NetnsPath,
  dev: string,
  targets: string[],
  payload: number,
  timeoutMs = 700,
): Promise<ProbeResult[]> {
  if (targets.length === 0) return [];
  const scoped = targets.map((t) => `${t}%${dev}`);
  const [file, args] = inNetns(netns, 'fping', [
    '-6',
    '-q',
    '-C',
    '1',
    '-t',
    String(timeoutMs),
    '-b',
    String(payload),
    '-I',
    dev,
    ...scoped,
  ]);
  // fping exits non-zero when any target is unreachable; the per-target lines are what count.
  const out = await run(file, args, { timeoutMs: timeoutMs + 5_000 }).catch((err: { stderr?: string }) => ({
    stdout: '',
    stderr: err.stderr ?? '',
  }));
  const byTarget = new Map(parseFpingC(out.stderr).map((r) => [r.target.replace(`%${dev}`, ''), r.rttMs]));
  return targets.map((t) => ({ target: t, rttMs: byTarget.get(t) ?? null }));
}
