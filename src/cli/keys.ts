import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Result } from '../api/index.js';
import { emit, table } from './output.js';
import { globals, withAgent } from './target.js';

/** The per-member lines of a rotation: each step's outcome and, where one failed, why. */
export function rotationText(r: Result<'rotateKey'>): string {
  return [
    `mesh key rotated on ${r.members.length} member(s); ${r.removed} old key(s) removed`,
    table(
      ['MEMBER', 'INSTALL', 'USE', 'REMOVE', 'ERROR'],
      r.members.map((m) => [m.name, m.install, m.use, m.remove, m.error ?? '']),
    ),
  ].join('\n');
}

export function registerKeys(program: Command): void {
  program
    .command('rotate-key')
    .description(
      'change the mesh key on every alive member, no member dropping out: install the new key, check, switch, remove the old',
    )
    .requiredOption('--password-file <file>', 'file holding the new mesh password (first line)')
    .addHelpText(
      'after',
      '\nRun it on any one member; the others learn the key through serf. A member that is down misses it: it\n' +
        'rejoins after `reset` and `launch --password-file NEW`.\n\nExamples:\n' +
        '  xnet-tui rotate-key --password-file /etc/xnet/password.new\n' +
        '  xnet-tui --lab h1 rotate-key --password-file /tmp/new-password --json\n',
    )
    .action(async (o: { passwordFile: string }, cmd: Command) => {
      const res = await withAgent(cmd, (a) => a.call('rotateKey', { passwordFile: resolve(o.passwordFile) }));
      emit(globals(cmd), res, rotationText);
    });
}
