import type { Command } from 'commander';
import type { HealthEvent } from '../api/events.js';
import { badInput } from '../errors.js';
import { emit } from './output.js';
import { agentFor, globals } from './target.js';

const MARK: Record<HealthEvent['level'], string> = { error: '!', warn: '~', ok: '+', info: '-' };

/** One event as a line: local time, a mark for its level, the words. */
export function eventLine(e: HealthEvent): string {
  const d = new Date(e.at);
  const day = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const time = [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
  return `${day} ${time} ${MARK[e.level]} ${e.text}`;
}

function parseSince(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,15}$/.test(text))
    throw badInput(
      'since',
      `--since "${text}" is not an event number`,
      'give a seq from `events --json`, e.g. --since 42',
    );
  return Number(text);
}

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description(
      'health changes on this host: peers unreachable or back, MTU, checks, telemetry, dockerd, drift',
    )
    .option('-f, --follow', 'keep printing new events as they happen (with --json: one JSON object a line)')
    .option('--since <seq>', 'only events after this seq')
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui events\n  xnet-tui --lab h1 events --follow\n  xnet-tui events --json --since 42\n',
    )
    .action(async (o: { follow?: boolean; since?: string }, cmd: Command) => {
      const g = globals(cmd);
      let since = parseSince(o.since);
      const agent = await agentFor(cmd);
      try {
        const first = await agent.call('events', since === undefined ? {} : { since });
        if (!o.follow) return emit(g, first, (r) => r.events.map(eventLine).join('\n'));
        const print = (events: HealthEvent[]): void => {
          for (const e of events) process.stdout.write((g.json ? JSON.stringify(e) : eventLine(e)) + '\n');
        };
        print(first.events);
        since = first.latest;
        let stop = false;
        process.once('SIGINT', () => (stop = true));
        process.once('SIGTERM', () => (stop = true));
        while (!stop) {
          await new Promise((r) => setTimeout(r, 500));
          const next: { events: HealthEvent[]; latest: number } = await agent.call('events', { since });
          print(next.events);
          since = next.latest;
        }
      } finally {
        agent.close();
      }
    });
}
