import type { Command } from 'commander';
import { emit } from './output.js';
import { globals, withAgent } from './target.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('the agent, its dockerd, the bridge and the attachment count')
    .addHelpText('after', '\nExamples:\n  xnet-tui status\n  xnet-tui --lab h2 status --json\n')
    .action(async (_o: unknown, cmd: Command) => {
      const s = await withAgent(cmd, (a) => a.call('status', {}));
      emit(globals(cmd), s, (x) =>
        [
          `agent        ${x.version}, pid ${x.pid}, up since ${x.startedAt}`,
          `socket       ${x.socket}`,
          `state        ${x.stateDir}`,
          `docker       ${x.dockerHost}: ${x.docker.reachable ? `dockerd ${x.docker.version}` : `unreachable (${x.docker.error})`}`,
          `bridge       ${x.bridge.name}: ${x.bridge.present ? `up, mtu ${x.bridge.mtu}` : 'not created yet (first attach creates it)'}`,
          `router       not launched (local bridge only)`,
          `attachments  ${x.attachments}`,
        ].join('\n'),
      );
    });
}
