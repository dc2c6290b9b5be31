import type { Command } from 'commander';
import { emit, table } from './output.js';
import { globals, withAgent } from './target.js';

export function registerPs(program: Command): void {
  program
    .command('ps')
    .description('list attached containers: interface, MAC and addresses')
    .addHelpText('after', '\nExamples:\n  xnet-tui ps\n  xnet-tui --lab h1 ps --json\n')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await withAgent(cmd, (a) => a.call('ps', {}));
      emit(globals(cmd), res, (r) =>
        table(
          ['CONTAINER', 'ID', 'IFACE', 'MAC', 'ADDRESSES', 'STATE'],
          r.attachments.map((a) => [
            a.container,
            a.containerId.slice(0, 12),
            a.ifname,
            a.mac ?? '-',
            a.cidrs.join(','),
            a.state,
          ]),
        ),
      );
    });
}
