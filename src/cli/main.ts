#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { DEFAULT_SOCKET } from '../agent/paths.js';
import { reportError } from './output.js';
import { openTui } from './tui.js';
import { MODULES, commandWord, modulesFor } from './commands.js';

const program = new Command('xnet-tui')
  .description(
    'operate this host in a container overlay mesh: router, peers, container addresses, dockerd options, live telemetry',
  )
  .version(VERSION)
  .option('--socket <path>', 'agent socket', DEFAULT_SOCKET)
  .option('--lab <host>', 'talk to the agent of lab host HOST (h1, h2, ...)', process.env.XNET_LAB_HOST)
  .option('--json', 'machine-readable output')
  .option('--no-start', 'do not start an agent when none answers')
  .showHelpAfterError()
  .exitOverride()
  .configureOutput({ outputError: () => undefined })
  .addHelpText(
    'after',
    `
Exit codes: 0 done, 1 failed, 2 bad input (nothing changed), 3 no agent.

Examples:
  xnet-tui --lab h1                         open the UI on lab host h1
  xnet-tui lab up --hosts 3                 a 3-host lab in network namespaces
  xnet-tui --lab h1 attach 172.25.11.23/24 web
  xnet-tui --lab h1 ps --json
  xnet-tui lab exec h1 -- docker exec web ping -c1 172.25.11.24
  xnet-tui lab down`,
  );

// `help COMMAND` works beside the root's own action (commander adds it only to programs without one).
program.helpCommand(true);
// The bare command opens the UI; a word that is no command gets commander's own "unknown command" and its
// "(Did you mean ...?)", not "too many arguments".
program.allowExcessArguments(true).action((_o: unknown, cmd: Command) => {
  if (cmd.args.length > 0) (cmd as unknown as { unknownCommand(): never }).unknownCommand();
  return openTui(cmd);
});

try {
  const wanted = modulesFor(commandWord(process.argv.slice(2)));
  for (const register of await Promise.all(wanted.map((m) => MODULES[m]()))) register(program);
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError && (err.exitCode === 0 || err.code === 'commander.help')) process.exit(0);
  const json = process.argv.includes('--json');
  process.exit(reportError(err, json));
}
