import { Command } from 'commander';
import { badInput } from '../errors.js';
import {
  STANDBY_UP_TO,
  labDown,
  labExec,
  labStatus,
  labUp,
  resolveLabHost,
  type LabHostStatus,
} from '../lab/lab.js';
import { restartLabDockerd } from '../lab/dockerd.js';
import { labRestartAgent } from '../lab/restart.js';
import { footprintLine } from '../lab/footprint.js';
import { emit, table } from './output.js';
import { globals } from './target.js';

function statusTable(hosts: LabHostStatus[]): string {
  if (hosts.length === 0) return 'no lab (xnet-tui lab up --hosts 3 makes one)';
  return table(
    ['HOST', 'NETNS', 'UNDERLAY', 'DOCKERD', 'CONTAINERS', 'AGENT'],
    hosts.map((h) => [
      h.name,
      h.netns,
      h.address,
      h.dockerd.answering
        ? `up (pid ${h.dockerd.pid})`
        : h.dockerd.wanted
          ? 'down'
          : 'no dockerd (by choice)',
      String(h.dockerd.containers ?? '-'),
      h.agent.answering ? `up (pid ${h.agent.pid})` : 'down',
    ]),
  );
}

export function registerLab(program: Command): void {
  const lab = program
    .command('lab')
    .description(
      'a local multi-host mesh in network namespaces (198.18.0.0/24), each host with its own dockerd and agent',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui lab up --hosts 3\n  xnet-tui lab exec h2 -- docker ps\n  xnet-tui --lab h1 attach 172.25.11.23/24 web\n  xnet-tui lab down\n',
    );

  lab
    .command('up')
    .description('create or complete the lab (idempotent)')
    .option('--hosts <n>', 'number of hosts', '3')
    .option('--no-docker', 'no dockerd per host: the mesh without containers (the 50-host scale bench)')
    .option('--docker-on <hosts>', 'with --no-docker, a dockerd on these hosts all the same (h1,h50)')
    .option('--standby', `keep a standby agent beside each agent (default up to ${STANDBY_UP_TO} hosts)`)
    .option('--no-standby', 'no standby agents: an agent that exits is started anew (slower to answer)')
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui lab up --hosts 3\n  xnet-tui lab up --hosts 50 --no-docker\n  xnet-tui lab up --hosts 50 --no-docker --docker-on h1,h50\n\nEnds with the time it took and the memory the lab holds, by role.\n',
    )
    .action(
      async (o: { hosts: string; docker: boolean; dockerOn?: string; standby?: boolean }, cmd: Command) => {
        const n = Number(o.hosts);
        if (!/^\d+$/.test(o.hosts))
          throw badInput('hosts', `--hosts "${o.hosts}" is not a number`, 'example: --hosts 3');
        const g = globals(cmd);
        const r = await labUp(n, (m) => (g.json ? undefined : process.stderr.write(`lab: ${m}\n`)), {
          docker: o.docker,
          ...(o.dockerOn === undefined ? {} : { dockerOn: o.dockerOn.split(',').map((x) => x.trim()) }),
          ...(o.standby === undefined ? {} : { standby: o.standby }),
        });
        emit(g, r, (x) => `${statusTable(x.hosts)}\nlab: ${footprintLine(x.footprint)}`);
      },
    );

  lab
    .command('down')
    .description('remove every trace of the lab: namespaces, links, processes, mounts, files')
    .action(async (_o: unknown, cmd: Command) => {
      const g = globals(cmd);
      await labDown((m) => (g.json ? undefined : process.stderr.write(`lab: ${m}\n`)));
      emit(g, { down: true }, () => 'lab is down');
    });

  lab
    .command('status')
    .description('hosts, their dockerds and agents')
    .action(async (_o: unknown, cmd: Command) => {
      const hosts = await labStatus();
      emit(globals(cmd), { hosts }, (r) => statusTable(r.hosts));
    });

  lab
    .command('restart')
    .description(
      "restart one lab host's agent (and its supervisor if that is gone), leaving the others alone",
    )
    .argument('<host>', 'h1, h2, ...')
    .addHelpText('after', '\nExample:\n  xnet-tui lab restart h25\n')
    .action(async (host: string, _o: unknown, cmd: Command) => {
      const r = await labRestartAgent(host);
      emit(
        globals(cmd),
        r,
        (x) =>
          `agent on ${x.host} restarted (pid ${x.pid}) in ${x.seconds.toFixed(2)} s` +
          (x.supervisorStarted ? ', with a new supervisor' : ''),
      );
    });

  // What a lab host's agent runs instead of `systemctl restart docker` (its --dockerd-restart).
  lab
    .command('restart-dockerd', { hidden: true })
    .description("restart a lab host's dockerd from its unit file; returns when it answers or has failed")
    .argument('<host>', 'h1, h2, ...')
    .action(async (host: string, _o: unknown, cmd: Command) => {
      const pid = await restartLabDockerd(resolveLabHost(host));
      emit(globals(cmd), { host, pid }, () => `dockerd on ${host} restarted (pid ${pid})`);
    });

  lab
    .command('exec')
    .description('run a command inside a lab host, with DOCKER_HOST and XNET_SOCKET pointing at its daemons')
    .argument('<host>', 'h1, h2, ...')
    .argument('<command...>', 'the command, after --')
    .action((host: string, command: string[]) => {
      process.exitCode = labExec(host, command);
    });
}
