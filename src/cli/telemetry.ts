import type { Command } from 'commander';
import type { Result } from '../api/index.js';
import type { Count, PmtuPeer, RateSample } from '../api/telemetry.js';
import { badInput, ExitCode } from '../errors.js';
import { formatRate, formatRtt } from '../format.js';
import { emit, table } from './output.js';
import { ratesNow } from './rates-json.js';
import { globals, withAgent } from './target.js';

/** Human figures for `status rates`, `status pings` and `ping`. */

const pps = (c: Count | undefined): string => `${c?.packets ?? 0} p/s`;

function protoText(s: RateSample | undefined): string {
  if (!s) return '-';
  const parts = Object.entries(s.protocols)
    .filter(([, c]) => c.packets > 0)
    .map(([p, c]) => `${p} ${c.packets}`);
  return parts.join(' ') || '-';
}

/** The reader's one line: where the figures come from and whether they are live, with the age of the last read. */
export function countersLine(c: Result<'rates'>['counters']): string {
  const age = c.ageMs === null ? '' : `, last read ${(c.ageMs / 1000).toFixed(1)} s ago`;
  const took = c.readMs === null ? '' : ` (took ${c.readMs} ms)`;
  return `counters     ${c.source}, ${c.state}${c.state === 'running' ? took : age}${c.reason ? ` (${c.reason})` : ''}`;
}

export function ratesText(r: Result<'rates'>): string {
  const lines: string[] = [];
  lines.push(countersLine(r.counters));
  for (const h of r.counters.hooks) lines.push(`  ${h.name.padEnd(16)} ${h.role.padEnd(9)} ${h.what}`);
  // Figures are shown only while the reader is running: a stopped or failed one must not look like a quiet network.
  const live = r.counters.state === 'running';
  const row = (name: string, s: RateSample[]): string[] => {
    const l = live ? s.at(-1) : undefined; // the last complete second
    if (!live) return [name, '-', '-', '-', '-', r.counters.state];
    return [
      name,
      pps(l?.rx),
      formatRate(l?.rx.bytes ?? 0),
      pps(l?.tx),
      formatRate(l?.tx.bytes ?? 0),
      protoText(l),
    ];
  };
  lines.push('');
  lines.push(
    table(
      ['CONTAINER / PEER', 'RX', 'RX BYTES', 'TX', 'TX BYTES', 'PROTOCOLS (packets, last second)'],
      [
        ...r.containers.map((c) => {
          const cells = row(c.container, c.series);
          if (live && r.source === 'interface-counters') cells[5] = 'no split (interface counters)';
          return cells;
        }),
        ...r.peers.map((p) => {
          const cells = row(`peer ${p.nickname ? `${p.nickname} ` : ''}(${p.address})`, p.series);
          if (p.source === 'counters') cells[5] = 'no split (GRE port counters)';
          if (p.source === 'none')
            cells[5] =
              r.source === 'interface-counters'
                ? 'no per-peer figures without eBPF'
                : 'no per-peer figures from this driver';
          return cells;
        }),
        // Non-members (bridge driver): what the containers exchanged with the gateway, the LAN, this host.
        ...(r.others ?? []).map((o) => row(o.label, o.series)),
        row('bridge (all)', r.bridge),
      ],
    ),
  );
  return lines.join('\n');
}

function pmtuText(p: PmtuPeer): string {
  if (p.state === 'ok') return `${p.pathMtu}`;
  if (p.state === 'mismatch') return `${p.pathMtu} (set ${p.suggestedMtu})`;
  return p.state;
}

export function pingsText(r: Result<'pings'>, pmtu: Result<'pmtu'>): string {
  const lines: string[] = [];
  lines.push(
    r.checks.length === 0
      ? 'no ping checks (launch and connect a peer, or: xnet-tui ping --add TARGET [--from CONTAINER])'
      : table(
          ['ID', 'CHECK', 'STATE', 'LAST RTT', `LOSS`, 'SINCE', 'WHY'],
          r.checks.map((c) => [
            c.id,
            c.label,
            c.state,
            formatRtt(c.lastRttMs),
            `${c.window.lossPct}% of ${c.window.sent}`,
            c.since.slice(11, 19),
            c.error ?? c.why ?? '',
          ]),
        ),
  );
  if (pmtu.peers.length > 0) {
    lines.push('');
    lines.push(
      table(
        ['PEER', 'PATH MTU', 'BRIDGE MTU', 'WHY'],
        pmtu.peers.map((p) => [
          p.nickname ? `${p.nickname} (${p.peer})` : p.peer,
          pmtuText(p),
          String(pmtu.bridgeMtu ?? '-'),
          p.detail ?? '',
        ]),
      ),
    );
  }
  const recent = r.events.slice(-5);
  if (recent.length > 0) {
    lines.push('');
    for (const e of recent)
      lines.push(`${e.at.slice(11, 19)}  ${e.label}: ${e.from} -> ${e.to} (${e.detail})`);
  }
  return lines.join('\n');
}

/**
 * The text and --json show each row's last second, so only that second is asked for; `series` (--json
 * --series) prints the agent's whole answer, a minute of samples per row.
 */
export async function showRates(cmd: Command, series = false): Promise<void> {
  const g = globals(cmd);
  const r = await withAgent(cmd, (a) => a.call('rates', series ? {} : { seconds: 1 }));
  if (g.json && !series) return emit(g, ratesNow(r), () => '');
  emit(g, r, ratesText);
}

export async function showPings(cmd: Command): Promise<void> {
  const [pings, pmtu] = await withAgent(cmd, (a) => Promise.all([a.call('pings', {}), a.call('pmtu', {})]));
  emit(globals(cmd), { ...pings, pmtu }, (x) => pingsText(x, x.pmtu));
}

function parseCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > 1000)
    throw badInput('count', `--count ${text} is not a number of probes from 1 to 1000`, 'e.g. --count 5');
  return n;
}

export function registerPing(program: Command): void {
  program
    .command('ping')
    .description(
      'ping TARGETs once from this host or a container (fping), or add/remove a ping check the agent keeps running',
    )
    .argument('[targets...]', 'IP addresses (an IPv6 link-local one as fe80::1%ethwe)')
    .option('--from <container>', 'send from this container (default: the host)')
    .option('--count <n>', 'probes per target, 1-1000', '3')
    .option('--add', 'keep probing TARGET as a ping check (kept in the agent state; `status pings` shows it)')
    .option('--remove <id>', 'remove the ping check with this ID')
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui ping 172.25.11.24 --from web --count 5\n  xnet-tui --lab h1 ping --add 172.25.11.24 --from web\n  xnet-tui ping --remove u-0123456789ab\n',
    )
    .action(
      async (
        targets: string[],
        o: { from?: string; count: string; add?: boolean; remove?: string },
        cmd: Command,
      ) => {
        const g = globals(cmd);
        if (o.remove !== undefined) {
          if (targets.length > 0 || o.add)
            throw badInput(
              'targets',
              '--remove takes a check ID and no targets',
              'xnet-tui ping --remove ID',
            );
          const r = await withAgent(cmd, (a) => a.call('pings.remove', { id: o.remove! }));
          return emit(g, r, (x) =>
            x.removed ? `removed ${o.remove}` : `no ping check ${o.remove}; nothing to do`,
          );
        }
        if (targets.length === 0)
          throw badInput('targets', 'no target given', 'give an address, e.g. xnet-tui ping 172.25.11.24');
        const count = parseCount(o.count);
        if (o.add) {
          const res = await withAgent(cmd, (a) =>
            Promise.all(
              targets.map((target) => a.call('pings.add', { target, ...(o.from ? { from: o.from } : {}) })),
            ),
          );
          return emit(g, { checks: res.map((r) => r.check), created: res.map((r) => r.created) }, (x) =>
            x.checks
              .map((c, i) => `${x.created[i] ? 'added' : 'already there:'} ${c.id}  ${c.label}`)
              .join('\n'),
          );
        }
        const r = await withAgent(cmd, (a) =>
          a.call('ping', { targets, count, ...(o.from ? { from: o.from } : {}) }),
        );
        emit(g, r, (x) =>
          x.results
            .map(
              (p) =>
                `${p.target} from ${x.from ?? 'host'}: ${p.received}/${p.sent} answered, ${p.lossPct}% loss` +
                (p.rttMs ? `, rtt min/avg/max ${p.rttMs.min}/${p.rttMs.avg}/${p.rttMs.max} ms` : ''),
            )
            .join('\n'),
        );
        if (r.results.some((p) => p.received === 0)) process.exitCode = ExitCode.failed;
      },
    );
}
