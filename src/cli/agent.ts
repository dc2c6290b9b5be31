import { Option, type Command } from 'commander';
import { startAgent } from '../agent/agent.js';
import { DEFAULT_DOCKER_HOST, DEFAULT_SOCKET, DEFAULT_STATE_DIR } from '../agent/paths.js';

export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('run the host agent in the foreground (clients start one by themselves when none answers)')
    .option('--state-dir <dir>', 'where desired state is kept', DEFAULT_STATE_DIR)
    .option('--docker-host <url>', 'dockerd to manage', DEFAULT_DOCKER_HOST)
    .option(
      '--dockerd-config <path>',
      "dockerd's daemon.json (default: the unit's --config-file, else /etc/docker/daemon.json)",
    )
    .option(
      '--dockerd-unit-dir <dir>',
      'where docker.service and its drop-ins are (default: the systemd directories)',
    )
    .option(
      '--dockerd-restart <command>',
      'command that restarts dockerd, split on spaces (default: systemctl)',
    )
    .option(
      '--dockerd-log <file>',
      "dockerd's log file, for rollback reports (default: journalctl -u docker.service)",
    )
    .addOption(
      new Option(
        '--standby',
        'wait for the running agent of this state dir to exit, then take over',
      ).hideHelp(),
    )
    .option(
      '--bridge-before-docker',
      "put the bridge driver's NIC back into its bridge as recorded, and exit (at boot, before docker.service)",
    )
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui agent\n  xnet-tui agent --state-dir /var/lib/xnet --bridge-before-docker\n  xnet-tui agent --dockerd-config /etc/docker/daemon.json --dockerd-restart "systemctl restart docker"\n  xnet-tui agent --socket /run/xnet/test.sock --state-dir /tmp/xnet --docker-host unix:///run/docker.sock\n',
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals<{
        socket?: string;
        stateDir: string;
        dockerHost: string;
        dockerdConfig?: string;
        dockerdUnitDir?: string;
        dockerdRestart?: string;
        dockerdLog?: string;
        standby?: boolean;
        bridgeBeforeDocker?: boolean;
      }>();
      if (o.bridgeBeforeDocker) {
        const { bridgeBeforeDocker } = await import('../router/bridge/record.js');
        process.stdout.write(`${await bridgeBeforeDocker(o.stateDir, undefined)}\n`);
        return;
      }
      const agent = await startAgent({
        socket: o.socket ?? DEFAULT_SOCKET,
        stateDir: o.stateDir,
        dockerHost: o.dockerHost,
        ...(o.standby ? { standby: true } : {}),
        dockerd: {
          ...(o.dockerdConfig ? { configPath: o.dockerdConfig } : {}),
          ...(o.dockerdUnitDir ? { unitDir: o.dockerdUnitDir } : {}),
          ...(o.dockerdRestart ? { restart: o.dockerdRestart.split(/\s+/).filter(Boolean) } : {}),
          ...(o.dockerdLog ? { logFile: o.dockerdLog } : {}),
        },
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
