import type { Command } from 'commander';
import { startAgent } from '../agent/agent.js';
import { DEFAULT_DOCKER_HOST, DEFAULT_SOCKET, DEFAULT_STATE_DIR } from '../agent/paths.js';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the host agent in the foreground (clients start one by themselves when none answers)')
    .option('--state-dir <dir>', 'where desired state is kept', DEFAULT_STATE_DIR)
    .option('--docker-host <url>', 'dockerd to manage', DEFAULT_DOCKER_HOST)
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui agent\n  xnet-tui agent --socket /run/xnet/test.sock --state-dir /tmp/xnet --docker-host unix:///run/docker.sock\n',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{ socket?: string; stateDir: string; dockerHost: string }>();
      const agent = await startAgent({
        socket: o.socket ?? DEFAULT_SOCKET,
        stateDir: o.stateDir,
        dockerHost: o.dockerHost,
      });
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await agent.stop();
      process.exit(0);
    });
}
