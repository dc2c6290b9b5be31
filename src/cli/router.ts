// The router's commands: launch, connect, forget, stop, reset (and confirm, keys). What they print of the
// router's state is in router-text.ts; the bridge driver's options and key rotation are in lan.ts and keys.ts.
import type { Command } from 'commander';
import { badInput, ExitCode } from '../errors.js';
import { awaitConfirm, lanOptions, registerConfirm } from './lan.js';
import { DEFAULT_DRIVER, describeDrivers, launchOptionHelp } from '../router/descriptions.js';
import type { DriverName } from '../router/driver.js';
import { registerKeys } from './keys.js';
import { connectionsTable, routerSummary } from './router-text.js';
import { emit } from './output.js';
import { globals, withAgent } from './target.js';

/** `vxlan (default): kernel VXLAN mesh | bridge: ... | ...` (an unbuilt driver: "NAME: not built yet"), from the drivers' descriptions. */
function driverHelp(): string {
  return describeDrivers()
    .map((d) =>
      d.built
        ? `${d.name}${d.name === DEFAULT_DRIVER ? ' (default)' : ''}: ${d.summary}`
        : `${d.name}: not built yet`,
    )
    .join(' | ');
}

/** What reset removes, driver by driver. */
function resetHelp(): string {
  return describeDrivers()
    .filter((d) => d.built)
    .map((d) => `${d.name}: ${d.resetRemoves}`)
    .join(' | ');
}

export function registerRouter(program: Command): void {
  program
    .command('launch')
    .description('start the overlay router on this host with one of its drivers and connect to PEERs')
    .argument('[peers...]', launchOptionHelp('peers'))
    .option('--driver <name>', driverHelp())
    .option('--subnet <cidr>', launchOptionHelp('subnet'))
    .option('--slice <cidr>', "bridge: the same as --subnet, in the bridge driver's words")
    .option('--nic <dev>', "bridge: the LAN NIC that moves into the bridge (default: the underlay's)")
    .option('--bridge <name>', 'bridge: the bridge the NIC moves into (default br0)')
    .option(
      '--check <addr>',
      'bridge: what must answer after the move (default: the default gateway), besides PEERs',
    )
    .option(
      '--confirm',
      'bridge: wait for the operator; unless confirmed in time (a key here, or `xnet-tui confirm`), reset by itself',
    )
    .option(
      '--confirm-timeout <s>',
      'bridge: seconds the check may take before everything is put back (default 10)',
    )
    .option('--nickname <name>', launchOptionHelp('nickname'))
    .option('--listen <addr>', "underlay address (default: the default route's, else the first)")
    .option('--range <cidr>', launchOptionHelp('range'))
    .option('--password-file <file>', launchOptionHelp('passwordFile'))
    .option('--mtu <bytes>', launchOptionHelp('mtu'))
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui launch\n  xnet-tui launch --nickname web1 --password-file /etc/xnet/password 198.18.0.1\n  xnet-tui --lab h2 launch 198.18.0.1\n  xnet-tui --lab h2 launch --driver ovs-gre --subnet 172.25.2.0/24 198.18.0.1\n  xnet-tui --lab h1 launch --driver bridge --slice 198.18.0.16/28 198.18.0.2\n  xnet-tui launch --driver weave --range 10.32.0.0/12 --password-file /etc/weave/password 198.18.0.1\n',
    )
    .action(
      async (
        peers: string[],
        o: {
          driver?: string;
          nickname?: string;
          listen?: string;
          range?: string;
          passwordFile?: string;
          subnet?: string;
          slice?: string;
          nic?: string;
          bridge?: string;
          check?: string;
          confirmTimeout?: string;
          confirm?: boolean;
          mtu?: string;
        },
        cmd: Command,
      ) => {
        const res = await withAgent(cmd, (a) =>
          a.call('launch', {
            ...(o.driver ? { driver: o.driver as DriverName } : {}),
            ...(o.nickname !== undefined ? { nickname: o.nickname } : {}),
            ...(o.listen ? { listen: o.listen } : {}),
            ...(o.range ? { range: o.range } : {}),
            ...(o.passwordFile ? { passwordFile: o.passwordFile } : {}),
            ...((o.subnet ?? o.slice) ? { subnet: o.subnet ?? o.slice } : {}),
            ...(lanOptions(o) ? { lan: lanOptions(o) } : {}),
            ...(o.confirm ? { confirm: lanOptions(o)?.confirmTimeout ?? 60 } : {}),
            ...(o.mtu !== undefined ? { mtu: parseMtu(o.mtu) } : {}),
            peers,
          }),
        );
        emit(globals(cmd), res, (r) =>
          [
            routerSummary(r.router),
            ...r.warnings.map((w) => `warning: ${w}`),
            connectionsTable(r.router),
          ].join('\n'),
        );
        if (res.router.connections.some((c) => c.state === 'failed')) process.exitCode = ExitCode.failed;
        if (res.router.confirm) await awaitConfirm(cmd, res.router.confirm.by);
      },
    );
  registerConfirm(program);

  program
    .command('connect')
    .description('join the mesh through PEER (gossip makes it transitive: one peer is enough)')
    .argument('<peers...>', 'underlay addresses, host or host:port')
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui connect 198.18.0.1\n  xnet-tui --lab h3 connect 198.18.0.2 --json\n',
    )
    .action(async (peers: string[], _o: unknown, cmd: Command) => {
      const res = await withAgent(cmd, (a) => a.call('connect', { peers }));
      emit(globals(cmd), res, (r) =>
        r.connections
          .map((c) =>
            c.state === 'established'
              ? `connected to ${c.target}`
              : c.state === 'failed'
                ? `could not connect to ${c.target}: ${c.reason ?? c.error}`
                : `${c.target}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`,
          )
          .join('\n'),
      );
      if (res.connections.some((c) => c.state === 'failed')) process.exitCode = ExitCode.failed;
    });

  program
    .command('forget')
    .description('stop (re)connecting to PEER; the mesh keeps peers that are alive in gossip')
    .argument('<peers...>', 'underlay addresses given to launch or connect')
    .addHelpText('after', '\nExamples:\n  xnet-tui forget 198.18.0.3\n')
    .action(async (peers: string[], _o: unknown, cmd: Command) => {
      const res = await withAgent(cmd, (a) => a.call('forget', { peers }));
      emit(globals(cmd), res, (r) =>
        [
          ...r.forgotten.map((p) => `forgot ${p}`),
          ...r.unknown.map((p) => `${p} was not a connection target; nothing to do`),
        ].join('\n'),
      );
    });

  program
    .command('stop')
    .description('take the router down (leaves the mesh); attachments and settings are kept')
    .addHelpText('after', '\nExamples:\n  xnet-tui stop\n')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await withAgent(cmd, (a) => a.call('stop', {}));
      emit(globals(cmd), res, (r) =>
        r.wasRunning ? 'router stopped' : 'router was not running; nothing to do',
      );
    });

  program
    .command('reset')
    .description(`remove everything the router created (${resetHelp()}) and the settings; attachments stay`)
    .addHelpText('after', '\nExamples:\n  xnet-tui reset\n')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await withAgent(cmd, (a) => a.call('reset', {}));
      emit(globals(cmd), res, (r) =>
        r.wasLaunched ? 'router reset' : 'router was never launched; nothing to do',
      );
    });

  registerKeys(program);
}

/** `--mtu` as typed: a whole number, else bad input naming the field (the agent checks the range). */
function parseMtu(text: string): number {
  if (!/^\d{1,5}$/.test(text))
    throw badInput('mtu', `--mtu "${text}" is not a number of bytes`, 'e.g. --mtu 1354');
  return Number(text);
}
