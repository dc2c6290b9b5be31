// One piece (just over 300 lines): the router's commands share the status tables they print (peers,
// connections, ipam, ovs, lan); the bridge driver's options and key rotation are in lan.ts and keys.ts.
import type { Command } from 'commander';
import { badInput, ExitCode } from '../errors.js';
import { awaitConfirm, lanOptions, lanSection, registerConfirm } from './lan.js';
import { formatRtt } from '../format.js';
import { DEFAULT_DRIVER, describeDrivers, launchOptionHelp } from '../router/descriptions.js';
import {
  addressTableOf,
  ipamOf,
  lanDetailsOf,
  ovsOf,
  type AddressClash,
  type AddressHolder,
  type DriverName,
  type RouterStatus,
} from '../router/driver.js';
import { registerKeys } from './keys.js';
import { peerMatches, peerSummary, sortPeers, summaryLine } from '../router/peer-summary.js';
import { emit, table } from './output.js';
import { globals, withAgent } from './target.js';

/** The summary line, then this host and the peers with trouble first; `filter` as the TUI's `/` filters. */
export function peersTable(r: RouterStatus, filter = ''): string {
  if (r.state !== 'running') return `router ${r.state}${r.driver ? ` (${r.driver})` : ''}: no peers`;
  const shown = sortPeers(r.peers.filter((p) => peerMatches(p, filter)));
  const head = `peers: ${summaryLine(peerSummary(r.peers))}`;
  if (shown.length === 0) return `${head}\nno peer matches "${filter}"`;
  const of = filter ? ` (${shown.filter((p) => !p.self).length} shown, filter "${filter}")` : '';
  return `${head}${of}\n${table(
    ['NAME', 'NICKNAME', 'ADDRESS', 'GOSSIP', 'DATA PLANE', 'RTT', 'WHY'],
    shown.map((p) => [
      p.self ? `${p.name} (self)` : p.name,
      p.nickname,
      p.address,
      p.gossip,
      p.self ? '-' : p.dataPlane.state,
      p.self ? '-' : formatRtt(p.dataPlane.rttMs),
      p.self ? '' : (p.dataPlane.detail ?? ''),
    ]),
  )}`;
}

export function connectionsTable(r: RouterStatus): string {
  if (r.connections.length === 0) return 'no connection targets (xnet-tui connect PEER adds one)';
  // Drivers that can say how packets cross and why (Weave: fastdp or sleeve) get those columns.
  if (r.connections.some((c) => c.transport !== undefined || c.reason !== undefined))
    return table(
      ['TARGET', 'STATE', 'TRANSPORT', 'ENCRYPTED', 'WHY'],
      r.connections.map((c) => [
        c.target,
        c.state,
        c.transport ?? '-',
        c.encrypted === undefined ? '-' : c.encrypted ? 'yes' : 'no',
        c.reason ?? c.error ?? '',
      ]),
    );
  return table(
    ['TARGET', 'STATE', 'ERROR'],
    r.connections.map((c) => [c.target, c.state, c.error ?? '']),
  );
}

export function ipamTable(r: RouterStatus): string {
  const i = ipamOf(r);
  if (!i) return `no IPAM: the ${r.driver ?? 'router'} driver leaves addresses to you (xnet-tui attach CIDR)`;
  return [
    `range ${i.range} (${i.size} addresses, default subnet ${i.defaultSubnet}), ${i.active} in use here: ${i.status}`,
    table(
      ['PEER', 'NICKNAME', 'ADDRESSES', 'SHARE', 'REACHABLE'],
      i.owners.map((o) => [
        o.peer,
        o.nickname,
        String(o.ips),
        i.size ? `${((o.ips * 100) / i.size).toFixed(1)}%` : '-',
        o.reachable ? 'yes' : 'no',
      ]),
    ),
  ].join('\n');
}

/** Open vSwitch: the bridge, each GRE port with its remote, state and counters, and the routes. */
export function ovsSection(r: RouterStatus): string {
  const o = ovsOf(r);
  if (!o) return '';
  const ports =
    o.ports.length === 0
      ? 'no GRE ports (`xnet-tui connect PEER` adds one)'
      : table(
          [
            'PORT',
            'REMOTE',
            'PEER',
            'SUBNET',
            'LINK',
            'BFD',
            'RX PKTS',
            'TX PKTS',
            'RX BYTES',
            'TX BYTES',
            'ERROR',
          ],
          o.ports.map((p) => [
            p.name,
            p.remote,
            p.peer ?? '-',
            p.subnet ?? '-',
            p.linkState ?? '-',
            p.bfd ?? '-',
            String(p.rxPackets),
            String(p.txPackets),
            String(p.rxBytes),
            String(p.txBytes),
            p.error ?? '',
          ]),
        );
  const routes =
    o.routes.length === 0
      ? 'no routes to other hosts yet'
      : table(
          ['ROUTE', 'VIA', 'DEV', 'HOST'],
          o.routes.map((x) => [x.dst, x.via ?? '-', x.dev, x.peer ?? '-']),
        );
  return [
    `ovs          bridge ${o.bridge.name} ${o.bridge.present ? 'present' : 'missing'}${o.bridge.mtu ? ` (mtu ${o.bridge.mtu})` : ''}, ${o.datapath} datapath, ${o.daemons} daemons; ` +
      `${o.bridge.name} ${o.dockerBridge.plugged ? 'plugged into' : 'NOT plugged into'} ${o.dockerBridge.name} ${o.dockerBridge.address ?? ''}`.trimEnd(),
    `subnet       ${o.subnet ?? '-'}${o.underlayBridge ? `; underlay on OVS bridge ${o.underlayBridge}` : ''}`,
    ...o.tunnelRoutes.map((l) => `tunnel route ${l}`),
    '',
    ports,
    '',
    routes,
  ].join('\n');
}

export function routerSummary(r: RouterStatus): string {
  if (r.state === 'not-launched')
    return 'router       not launched (local bridge only; `xnet-tui launch` starts the mesh)';
  return [
    `router       ${r.driver} ${r.state}${r.nickname ? `, nickname ${r.nickname}` : ''}${r.encrypted ? ', encrypted' : ', not encrypted'}`,
    `underlay     ${r.listen ?? '-'}${r.underlayMtu ? ` (mtu ${r.underlayMtu})` : ''}, bridge ${r.bridge.name}${r.bridge.netns ? ` (netns ${r.bridge.netns})` : ''} mtu ${r.bridge.mtu ?? '-'}, range ${r.range ?? '-'}`,
    // Alive in gossip, reachable on the data plane: `status peers` lists them, trouble first.
    `peers        ${summaryLine(peerSummary(r.peers))}`,
    ...(r.dataPlanePolicy ? [`data plane   ${r.dataPlanePolicy}`] : []),
    ...(ipamOf(r) ? [`ipam         ${ipamOf(r)!.range}: ${ipamOf(r)!.status}`] : []),
    ...(addressTableOf(r) ? addressLines(r) : []),
    ...r.warnings.map((w) => `warning      ${w}`),
    ...(lanDetailsOf(r) ? [lanSection(lanDetailsOf(r)!)] : []),
    ...(ovsOf(r) ? [ovsSection(r)] : []),
  ].join('\n');
}

const holderText = (h: AddressHolder): string =>
  `${h.container} on ${h.self ? 'this host' : h.nickname ? `peer ${h.nickname} (${h.host})` : `peer ${h.host}`} since ${h.since}`;

/** One line per clash: who keeps the address, who is flagged. */
export function clashLine(c: AddressClash): string {
  return `CLASH ${c.address}: kept by ${holderText(c.kept)}; flagged (newer): ${c.flagged.map(holderText).join(', ')}`;
}

/** The vxlan address table: its size, how lists travel, and every clash. */
function addressLines(r: RouterStatus): string[] {
  const t = addressTableOf(r)!;
  return [
    `addresses    ${t.entries} attached address(es) on ${t.hosts} host(s) in the mesh table; ${t.sync}`,
    ...t.clashes.map((c) => `             ${clashLine(c)}`),
  ];
}

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
