// How the dockerd commands print their results: findings, the staged diff, and an apply's or rollback's
// steps and outcome. Pure; split from dockerd.ts, which registers the subcommands and talks to the agent.
import { formatValue } from '../docker/config/values.js';
import type { DockerdFinding, Result } from '../api/index.js';
import { impactText, stoppedAfter } from '../docker/config/impact-text.js';

type Diff = Result<'dockerd.diff'>;
type Applied = Result<'dockerd.apply'>;

export function findingLines(findings: DockerdFinding[]): string[] {
  return findings.map((f) => {
    const tag =
      f.severity === 'error' ? 'error' : f.severity === 'confirm' ? 'needs confirmation' : 'warning';
    return `${tag} (${f.key}): ${f.message}${f.hint ? `\n  hint: ${f.hint}` : ''}`;
  });
}

export function diffText(d: Diff): string {
  const lines: string[] = [];
  if (d.staged.length === 0) lines.push('nothing staged');
  else
    lines.push(
      'staged:',
      ...d.staged.map(
        (s) =>
          `  ${s.value === null ? `unset ${s.key}` : `${s.key}=${formatValue(s.value)}`}${s.to ? ` (in ${s.to})` : ''}`,
      ),
    );
  if (d.refused) lines.push(`cannot apply: ${d.refused}`);
  for (const f of d.files) lines.push('', f.diff.trimEnd());
  if (d.notes.length) lines.push('', ...d.notes.map((n) => `note: ${n}`));
  if (d.findings.length) lines.push('', ...findingLines(d.findings));
  if (d.staged.length > 0 && !d.refused) lines.push('', impactText(d.impact).text);
  if (d.staged.length > 0 && !d.refused)
    lines.push(
      '',
      d.blocked && d.files.length > 0
        ? 'apply would refuse until the errors above are fixed'
        : d.files.length === 0
          ? 'the staged changes are already in effect'
          : 'apply with: xnet-tui dockerd apply',
    );
  return lines.join('\n');
}

export function appliedText(r: Applied, verb: string): string {
  const lines = r.files.map((f) => f.diff.trimEnd());
  lines.push(
    '',
    ...r.steps.map(
      (s) => `${s.ok ? 'ok ' : 'FAILED'} ${s.step} (${s.ms} ms)${s.detail ? `: ${s.detail}` : ''}`,
    ),
  );
  const stopped = stoppedAfter(r);
  if (r.outcome === 'applied')
    lines.push(
      stopped.length
        ? `${verb}: dockerd is healthy, but ${stopped.length} container(s) it ran are stopped; backup ${r.backup}`
        : `${verb}: dockerd is healthy; ${r.reattached} attachment(s) re-attached; backup ${r.backup}`,
    );
  else {
    lines.push(
      r.outcome === 'rolled-back'
        ? `${verb} FAILED and was rolled back: the previous files are restored and dockerd is healthy again`
        : `${verb} FAILED and so did the rollback: dockerd is NOT healthy; the previous files are in backup ${r.backup}`,
      `why: ${r.reason}`,
    );
    if (r.daemonLog.length) lines.push("dockerd's log:", ...r.daemonLog.map((l) => `  ${l}`));
  }
  if (r.containers.length) {
    lines.push('containers that were running:');
    for (const c of r.containers)
      lines.push(`  ${c.name.padEnd(20)} ${c.running ? 'running' : 'STOPPED'}  ${c.status}`);
  }
  if (r.restarted.length) lines.push(`started again: ${r.restarted.join(', ')}`);
  if (stopped.length)
    lines.push(
      `start them again: xnet-tui dockerd start-containers ${stopped.map((c) => c.name).join(' ')} (or apply with --restart-containers)`,
    );
  return lines.join('\n');
}
