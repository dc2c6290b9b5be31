/**
 * `fping -C 1` results (the bridge driver's LAN probes read them). The vxlan driver's own data-plane probes
 * are the host's persistent loops in telemetry/peer-probes.ts.
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
