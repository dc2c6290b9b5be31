import type { Command } from 'commander';
import { badInput } from '../errors.js';
import { ipamOf } from '../router/driver.js';
import { peerMatches, peerSummary } from '../router/peer-summary.js';
import { emit } from './output.js';
import { reconcileLine } from './ps.js';
import { connectionsTable, ipamTable, peersTable, routerSummary } from './router-text.js';
import { globals, withAgent } from './target.js';
import { showPings, showRates } from './telemetry.js';

const VIEWS = ['peers', 'connections', 'ipam', 'rates', 'pings'] as const;

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'the agent, its dockerd, the bridge and the router; or one view: peers, connections, ipam, rates, pings',
    )
    .argument('[view]', VIEWS.join(' | '))
    .option(
      '--filter <text>',
      'peers: only those whose name, nickname, address or state contains TEXT (as / in the TUI)',
    )
    .option('--series', 'rates --json: each row with its last minute, second by second (what the TUI draws)')
    .addHelpText(
      'after',
      "\nExamples:\n  xnet-tui status\n  xnet-tui status peers\n  xnet-tui status peers --filter unreachable\n  xnet-tui --lab h2 status connections --json\n  xnet-tui status ipam       addresses the weave router's IPAM holds\n  xnet-tui status rates      packets and bytes per second per container, per peer, by protocol\n  xnet-tui status rates --json | jq '.containers[] | {container, rx: .last.rx.bytes}'\n  xnet-tui status rates --json --series   the last minute per row too (large: 60 samples a row)\n  xnet-tui status pings      ping checks, their state and loss; path MTU per peer\n",
    )
    .action(async (view: string | undefined, o: { filter?: string; series?: boolean }, cmd: Command) => {
      if (view !== undefined && !(VIEWS as readonly string[]).includes(view)) {
        throw badInput('view', `unknown status view "${view}"`, `one of: ${VIEWS.join(', ')}`);
      }
      if (o.filter !== undefined && view !== 'peers')
        throw badInput(
          'filter',
          `--filter applies to \`status peers\` only${view ? `, not ${view}` : ''}`,
          'example: xnet-tui status peers --filter mtu',
        );
      if (o.series && (view !== 'rates' || !globals(cmd).json))
        throw badInput(
          'series',
          `--series applies to \`status rates --json\` only${view === 'rates' ? ', with --json' : ''}`,
          'example: xnet-tui status rates --json --series',
        );
      if (view === 'rates') return showRates(cmd, o.series);
      if (view === 'pings') return showPings(cmd);
      const [s, router] = await withAgent(cmd, (a) =>
        Promise.all([a.call('status', {}), a.call('router', {})]),
      );
      const g = globals(cmd);
      if (view === 'peers') {
        // --json keeps the agent's order (scripts index it) and adds the counts the summary line says.
        const peers = router.peers.filter((p) => peerMatches(p, o.filter ?? ''));
        return emit(g, { peers, summary: peerSummary(router.peers) }, () => peersTable(router, o.filter));
      }
      if (view === 'connections')
        return emit(g, { connections: router.connections }, () => connectionsTable(router));
      if (view === 'ipam') return emit(g, { ipam: ipamOf(router) ?? null }, () => ipamTable(router));
      emit(g, { ...s, router }, (x) =>
        [
          ...(x.stateRecovery ? [`WARNING      ${x.stateRecovery}`] : []),
          `agent        ${x.version}, pid ${x.pid}, up since ${x.startedAt}`,
          `socket       ${x.socket}`,
          `state        ${x.stateDir}`,
          `docker       ${x.dockerHost}: ${x.docker.reachable ? `dockerd ${x.docker.version}` : `unreachable (${x.docker.error})`}`,
          `bridge       ${x.bridge.name}: ${x.bridge.present ? `up, mtu ${x.bridge.mtu}` : 'not created yet (first attach creates it)'}` +
            (x.bridge.netns
              ? `, in netns ${x.bridge.netns} (ip netns exec ${x.bridge.netns} tcpdump -i ${x.bridge.name})`
              : ''),
          routerSummary(router),
          `attachments  ${x.attachments}`,
          ...(x.reconcileFailures ?? []).map((f) => `  ${reconcileLine(f)}`),
        ].join('\n'),
      );
    });
}
