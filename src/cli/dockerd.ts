// The dockerd subcommands (show, set, unset, diff, apply, rollback, start-containers): each a short
// registration, with the restart's confirmation and progress printing they share. Their text is dockerd-text.ts.
import { hostname } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { badInput, failed } from '../errors.js';
import { formatValue } from '../docker/config/values.js';
import { impactText, progressText } from '../docker/config/impact-text.js';
import type { AgentConnection } from '../agent/rpc.js';
import { appliedText, diffText, findingLines } from './dockerd-text.js';
import { emit, table } from './output.js';
import { globals, withAgent } from './target.js';

/** `KEY=VALUE` words; a value may itself contain `=` (`default-address-pools=base=10.10.0.0/16,size=24`). */
function parseAssignments(words: string[]): Array<{ key: string; value: string }> {
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0)
      throw badInput('args', `"${w}" is not KEY=VALUE`, 'example: xnet-tui dockerd set bridge=br0');
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

/** The operator types the host's name: applying restarts dockerd and every container without live-restore. */
async function confirm(what: string): Promise<void> {
  if (!process.stdin.isTTY)
    throw badInput(
      'yes',
      `${what} restarts dockerd; confirm with --yes when not at a terminal`,
      `xnet-tui dockerd ${what} --yes`,
    );
  const name = hostname();
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what} restarts dockerd on ${name}. Type the host name to go on: `);
    if (answer.trim() !== name)
      throw badInput('yes', 'not confirmed; nothing changed', `type ${name} exactly, or pass --yes`);
  } finally {
    rl.close();
  }
}

const toOption = (): Option =>
  new Option('--to <place>', 'where the value goes: daemon.json or flag (a drop-in for the unit)').choices([
    'daemon.json',
    'flag',
  ]);

export function registerDockerd(program: Command): void {
  const dockerd = program
    .command('dockerd')
    .description(
      "dockerd's network options: see where each comes from, stage edits, validate, apply with rollback",
    )
    .addHelpText(
      'after',
      `
Examples:
  xnet-tui dockerd show
  xnet-tui dockerd set bridge=br0 fixed-cidr=172.25.11.0/25
  xnet-tui dockerd diff
  xnet-tui dockerd apply --yes
  xnet-tui dockerd rollback --yes`,
    );

  dockerd
    .command('show')
    .description(
      'the options in effect, where each comes from (daemon.json, a flag in the unit, or the default), and problems',
    )
    .addHelpText('after', '\nExamples:\n  xnet-tui dockerd show\n  xnet-tui --lab h1 dockerd show --json\n')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await withAgent(cmd, (a) => a.call('dockerd.show', {}));
      emit(globals(cmd), r, (s) => {
        const rows = s.options.map((o) => [
          o.key,
          o.source === 'conflict'
            ? `${formatValue(o.flagValue ?? undefined)} | ${formatValue(o.fileValue ?? undefined)}`
            : o.source === 'default'
              ? o.defaultText
              : formatValue(o.value ?? undefined),
          o.source === 'conflict' ? 'BOTH flag and daemon.json' : o.source,
          o.file ?? '',
        ]);
        const lines = [
          `daemon.json: ${s.configPath} (${s.daemonJson.state}${s.daemonJson.error ? `: ${s.daemonJson.error}` : ''})`,
          `ExecStart:   ${s.execStart ? `${s.execStart.file}: ${s.execStart.argv.join(' ')}` : '(no unit found)'}`,
          `restart:     ${s.restart}`,
          '',
          table(['OPTION', 'VALUE', 'SOURCE', 'FILE'], rows),
        ];
        if (s.findings.length) lines.push('', ...findingLines(s.findings));
        if (s.staged.length) lines.push('', `${s.staged.length} change(s) staged: xnet-tui dockerd diff`);
        return lines.join('\n');
      });
    });

  const staging = (name: string, description: string, example: string): Command =>
    dockerd.command(name).description(description).addHelpText('after', `\nExamples:\n${example}\n`);

  staging(
    'set',
    'stage KEY=VALUE changes (checked now; written only by apply)',
    '  xnet-tui dockerd set bridge=br0 fixed-cidr=172.25.11.0/25\n  xnet-tui dockerd set icc=false mtu=1450\n  xnet-tui dockerd set hosts=fd://,unix:///var/run/docker.sock --to flag\n  xnet-tui dockerd set default-address-pools=10.10.0.0/16:24',
  )
    .argument('<assignments...>', 'KEY=VALUE ...')
    .addOption(toOption())
    .action(async (words: string[], o: { to?: 'daemon.json' | 'flag' }, cmd: Command) => {
      const set = parseAssignments(words);
      const r = await withAgent(cmd, (a) => a.call('dockerd.stage', { set, ...(o.to ? { to: o.to } : {}) }));
      emit(globals(cmd), r, diffText);
    });

  staging(
    'unset',
    "stage removing options, back to dockerd's default",
    '  xnet-tui dockerd unset bip\n  xnet-tui dockerd unset fixed-cidr bridge',
  )
    .argument('<keys...>', 'KEY ...')
    .action(async (unset: string[], _o: unknown, cmd: Command) => {
      const r = await withAgent(cmd, (a) => a.call('dockerd.stage', { unset }));
      emit(globals(cmd), r, diffText);
    });

  staging(
    'move',
    'stage moving options to daemon.json or to the flags, keeping their value (fixes "specified both as a flag and in the configuration file")',
    '  xnet-tui dockerd move hosts --to flag\n  xnet-tui dockerd move bip --to daemon.json',
  )
    .argument('<keys...>', 'KEY ...')
    .addOption(toOption().makeOptionMandatory())
    .action(async (keys: string[], o: { to: 'daemon.json' | 'flag' }, cmd: Command) => {
      const r = await withAgent(cmd, (a) =>
        a.call('dockerd.stage', { move: keys.map((key) => ({ key, to: o.to })) }),
      );
      emit(globals(cmd), r, diffText);
    });

  staging(
    'diff',
    'the staged changes, the files apply would write, and what validation says',
    '  xnet-tui dockerd diff\n  xnet-tui dockerd diff --json',
  ).action(async (_o: unknown, cmd: Command) => {
    const r = await withAgent(cmd, (a) => a.call('dockerd.diff', {}));
    emit(globals(cmd), r, diffText);
  });

  staging('discard', 'drop every staged change', '  xnet-tui dockerd discard').action(
    async (_o: unknown, cmd: Command) => {
      const r = await withAgent(cmd, (a) => a.call('dockerd.stage', { clear: true }));
      emit(globals(cmd), r, () => 'nothing staged');
    },
  );

  staging(
    'apply',
    'validate, back up, write atomically, restart dockerd, wait until healthy, re-attach; roll back by itself if dockerd does not come back',
    '  xnet-tui dockerd apply            (asks you to type the host name)\n  xnet-tui dockerd apply --yes --timeout 90\n  xnet-tui dockerd apply --yes --allow-insecure-tcp',
  )
    .option('--yes', 'do not ask: restarting dockerd is intended')
    .option(
      '--allow-insecure-tcp',
      'accept hosts=tcp://... without TLS (root for anyone who can reach the port)',
    )
    .option('--timeout <seconds>', 'how long dockerd may take to become healthy', '60')
    .option('--restart-containers', 'start again the containers the restart stops (live-restore off)')
    .action(
      async (
        o: { yes?: boolean; allowInsecureTcp?: boolean; timeout: string; restartContainers?: boolean },
        cmd: Command,
      ) => {
        const timeoutSeconds = seconds(o.timeout);
        const g = globals(cmd);
        await withAgent(cmd, async (a) => {
          const d = await a.call('dockerd.diff', {});
          if (d.refused) throw failed(d.refused, 'see `xnet-tui dockerd show`');
          if (!g.json) process.stderr.write(o.yes ? impactText(d.impact).text + '\n' : diffText(d) + '\n');
          if (!o.yes) await confirm('apply');
          const r = await withProgress(Boolean(g.json), a, () =>
            a.call('dockerd.apply', {
              allowInsecureTcp: Boolean(o.allowInsecureTcp),
              timeoutSeconds,
              restartContainers: Boolean(o.restartContainers),
            }),
          );
          emit(g, r, (x) => appliedText(x, 'apply'));
          if (r.outcome !== 'applied') process.exitCode = 1;
        });
      },
    );

  staging(
    'rollback',
    'restore the files of the last apply and restart dockerd',
    '  xnet-tui dockerd rollback --yes',
  )
    .option('--yes', 'do not ask: restarting dockerd is intended')
    .option('--timeout <seconds>', 'how long dockerd may take to become healthy', '60')
    .option('--restart-containers', 'start again the containers the restart stops (live-restore off)')
    .action(async (o: { yes?: boolean; timeout: string; restartContainers?: boolean }, cmd: Command) => {
      const timeoutSeconds = seconds(o.timeout);
      const g = globals(cmd);
      const r = await withAgent(cmd, async (a) => {
        if (!g.json) process.stderr.write(impactText((await a.call('dockerd.show', {})).impact).text + '\n');
        if (!o.yes) await confirm('rollback');
        return withProgress(Boolean(g.json), a, () =>
          a.call('dockerd.rollback', { timeoutSeconds, restartContainers: Boolean(o.restartContainers) }),
        );
      });
      emit(g, r, (x) => appliedText(x, 'rollback'));
      if (r.outcome !== 'applied') process.exitCode = 1;
    });

  staging(
    'start-containers',
    'start containers again (those an apply or rollback stopped); the agent gives their addresses back',
    '  xnet-tui dockerd start-containers web db',
  )
    .argument('<containers...>', 'NAME or ID ...')
    .action(async (containers: string[], _o: unknown, cmd: Command) => {
      const r = await withAgent(cmd, (a) => a.call('dockerd.startContainers', { containers }));
      emit(globals(cmd), r, (x) =>
        x.containers.map((c) => `${c.name}: ${c.running ? 'running' : `NOT started: ${c.error}`}`).join('\n'),
      );
      if (r.containers.some((c) => !c.running)) process.exitCode = 1;
    });
}

/**
 * Runs an apply or rollback while showing, on stderr, the agent's phase and the time against the timeout
 * (one line rewritten in a terminal, a line per phase otherwise); nothing with --json.
 */
async function withProgress<T>(json: boolean, a: AgentConnection, call: () => Promise<T>): Promise<T> {
  if (json) return call();
  const tty = process.stderr.isTTY;
  let last = '';
  const timer = setInterval(() => {
    void a
      .call('dockerd.show', {})
      .then((v) => {
        if (!v.applying) return;
        const text = progressText(v.applying, Date.now());
        if (tty) process.stderr.write(`\r\x1b[K${text}`);
        else if (v.applying.phase !== last) process.stderr.write(`${v.applying.phase}\n`);
        last = v.applying.phase;
      })
      .catch(() => undefined);
  }, 1_000);
  try {
    return await call();
  } finally {
    clearInterval(timer);
    if (tty && last) process.stderr.write('\r\x1b[K');
  }
}

function seconds(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 5 || n > 600)
    throw badInput('timeout', `--timeout ${text} is not 5-600 seconds`, 'example: --timeout 90');
  return n;
}
