import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { emit } from './output.js';
import { globals, withAgent } from './target.js';

/** The last argument is the container; everything before it is an address (`weave attach` order). */
function splitArgs(args: string[], minCidrs: number, verb: string): { cidrs: string[]; container: string } {
  const container = args.at(-1);
  const cidrs = args.slice(0, -1);
  if (!container || cidrs.length < minCidrs) {
    throw badInput(
      'args',
      `${verb} needs ${minCidrs ? 'CIDR... ' : '[CIDR...] '}CONTAINER`,
      `example: xnet-tui ${verb} 172.25.11.23/24 web`,
    );
  }
  return { cidrs, container };
}

export function registerAttach(program: Command): void {
  program
    .command('attach')
    .description(
      "give a running container an interface (ethwe) on the router's bridge (xnet, or weave with the weave driver) with the addresses you choose",
    )
    .argument('<args...>', 'CIDR... CONTAINER')
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui attach 172.25.11.23/24 web\n  xnet-tui attach 172.25.11.23/24 10.40.0.5/16 web --json\n  xnet-tui --lab h2 attach 172.25.11.112/24 db\n',
    )
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const { cidrs, container } = splitArgs(args, 1, 'attach');
      const res = await withAgent(cmd, (a) => a.call('attach', { cidrs, container }));
      emit(globals(cmd), res, (r) => {
        const lines = [];
        if (r.added.length)
          lines.push(
            `attached ${r.added.join(' ')} to ${r.attachment.container} (${r.attachment.ifname}, ${r.attachment.mac ?? 'no MAC'})`,
          );
        if (r.repaired.length)
          lines.push(
            `put back ${r.repaired.join(' ')} on ${r.attachment.container} (the kernel had lost them)`,
          );
        const unchanged = r.alreadyPresent.filter((c) => !r.repaired.includes(c));
        if (unchanged.length)
          lines.push(`${unchanged.join(' ')} already attached to ${r.attachment.container}`);
        return lines.join('\n');
      });
    });

  program
    .command('detach')
    .description('remove addresses from a container (all of them, and its ethwe, when none are given)')
    .argument('<args...>', '[CIDR...] CONTAINER')
    .addHelpText('after', '\nExamples:\n  xnet-tui detach web\n  xnet-tui detach 172.25.11.23/24 web\n')
    .action(async (args: string[], _o: unknown, cmd: Command) => {
      const { cidrs, container } = splitArgs(args, 0, 'detach');
      const res = await withAgent(cmd, (a) => a.call('detach', { cidrs, container }));
      emit(globals(cmd), res, (r) => {
        const lines = [];
        if (r.removed.length)
          lines.push(
            `detached ${r.removed.join(' ')} from ${r.container}${r.interfaceRemoved ? ' (ethwe removed)' : ''}`,
          );
        if (r.notAttached.length)
          lines.push(`${r.notAttached.join(' ')} not attached to ${r.container}; nothing to do`);
        if (!r.removed.length && !r.notAttached.length)
          lines.push(`${r.container} is not attached; nothing to do`);
        return lines.join('\n');
      });
    });
}
