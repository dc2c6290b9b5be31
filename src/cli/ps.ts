import type { Command } from 'commander';
import type { ReconcileFailure } from '../api/index.js';
import { emit, table } from './output.js';
import { globals, withAgent } from './target.js';

/** Why a container's addresses are not back yet, and when the agent tries again. */
export function reconcileLine(f: ReconcileFailure, now = Date.now()): string {
  const inS = Math.max(0, Math.round((Date.parse(f.retryAt) - now) / 100) / 10);
  return `${f.container}: re-attach failed ${f.attempts} time(s), next try in ${inS} s: ${f.reason}`;
}

/** `ps -q`: one container name a line, for scripts (`for c in $(xnet-tui ps -q)`), as `docker ps -q` gives ids. */
export function quietLines(r: { attachments: readonly { container: string }[] }): string {
  return r.attachments.map((a) => a.container).join('\n');
}

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('list attached containers: interface, MAC and addresses')
    .option('-q, --quiet', 'only the names of the attached containers, one a line')
    .addHelpText('after', '\nExamples:\n  xnet-tui ps\n  xnet-tui ps -q\n  xnet-tui --lab h1 ps --json\n')
    .action(async (o: { quiet?: boolean }, cmd: Command) => {
      const res = await withAgent(cmd, (a) => a.call('ps', {}));
      if (o.quiet) {
        const text = quietLines(res);
        if (text) process.stdout.write(text + '\n');
        return;
      }
      emit(globals(cmd), res, (r) =>
        [
          table(
            ['CONTAINER', 'ID', 'IFACE', 'MAC', 'ADDRESSES', 'STATE'],
            r.attachments.map((a) => [
              a.container,
              a.containerId.slice(0, 12),
              a.ifname,
              a.mac ?? '-',
              a.cidrs.join(','),
              a.clash ? `${a.state}, CLASH` : a.state,
            ]),
          ),
          ...r.attachments.flatMap((a) => (a.reconcile ? [reconcileLine(a.reconcile)] : [])),
          ...r.attachments.flatMap((a) => (a.clash ? [`CLASH ${a.container}: ${a.clash}`] : [])),
        ].join('\n'),
      );
    });
}
