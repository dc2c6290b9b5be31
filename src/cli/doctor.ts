import type { Command } from 'commander';
import type { DoctorCheck } from '../api/doctor.js';
import { emit } from './output.js';
import { globals, withAgent } from './target.js';

const MARK: Record<DoctorCheck['state'], string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** One finding in a few lines: its state and title, why, and what to do. */
export function doctorLines(c: DoctorCheck): string[] {
  return [`${MARK[c.state].padEnd(4)}  ${c.title}: ${c.detail}`, ...(c.fix ? [`      fix: ${c.fix}`] : [])];
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('preflight: what works on this host for the mesh, what does not, and what to do')
    .addHelpText(
      'after',
      '\nExit 0 when nothing fails (warnings allowed), 1 when something does.\n\nExamples:\n  xnet-tui doctor\n  xnet-tui --lab h2 doctor --json\n',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const r = await withAgent(cmd, (a) => a.call('doctor', {}));
      emit(globals(cmd), r, (x) => x.checks.flatMap(doctorLines).join('\n'));
      if (!r.ok) process.exitCode = 1;
    });
}
