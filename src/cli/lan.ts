import type { Command } from 'commander';
import { badInput, ExitCode } from '../errors.js';
import type { LanSettings, LanStatus } from '../api/lan-status.js';
import { emit, table } from './output.js';
import { globals, withAgent } from './target.js';

/** The bridge driver's own launch options, and the operator's confirmation of a launch ("commit confirmed"). */

/** The bridge driver's options, when any is given; --confirm-timeout checked here (bad input: exit 2). */
export function lanOptions(o: {
  nic?: string;
  bridge?: string;
  check?: string;
  confirmTimeout?: string;
}): LanSettings | undefined {
  const timeout = o.confirmTimeout === undefined ? undefined : Number(o.confirmTimeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 1 && timeout <= 600))
    throw badInput(
      'confirm-timeout',
      `"${o.confirmTimeout}" is not a number of seconds`,
      'give 1 to 600, e.g. --confirm-timeout 10',
    );
  const lan: LanSettings = {
    ...(o.nic ? { nic: o.nic } : {}),
    ...(o.bridge ? { bridge: o.bridge } : {}),
    ...(o.check ? { check: o.check } : {}),
    ...(timeout !== undefined ? { confirmTimeout: timeout } : {}),
  };
  return Object.keys(lan).length > 0 ? lan : undefined;
}

/** The bridge driver: the NIC in the bridge, the LAN and every host's docker slice. */
export function lanSection(l: LanStatus): string {
  return [
    `lan          ${l.lan} on ${l.bridge} (NIC ${l.nic} in it), gateway ${l.gateway ?? '-'}, this host's slice ${l.slice ?? '-'}`,
    table(
      ['HOST', 'SLICE'],
      l.slices.map((s) => [s.host, s.slice]),
    ),
  ].join('\n');
}

/**
 * After `launch --confirm`: a countdown until the agent's deadline. A key here (on a terminal) or
 * `xnet-tui confirm` from anywhere keeps the launch; otherwise the agent resets it by itself, which this
 * reports (exit 1). The agent holds the deadline, so a dropped SSH session still gets everything back.
 */
export async function awaitConfirm(cmd: Command, by: string): Promise<void> {
  const deadline = Date.parse(by);
  const tty = process.stdin.isTTY && process.stderr.isTTY;
  process.stderr.write(
    `confirm within ${Math.round((deadline - Date.now()) / 1000)} s${tty ? ': press Enter here, or' : ':'} run \`xnet-tui confirm\`; otherwise everything is put back\n`,
  );
  let keyed = false;
  if (tty) {
    process.stdin.setRawMode(true);
    process.stdin.resume();
    process.stdin.once('data', () => (keyed = true));
  }
  try {
    for (;;) {
      if (keyed) {
        keyed = false;
        const c = await withAgent(cmd, (a) => a.call('confirm', {}));
        if (c.confirmed) return void process.stderr.write('\nlaunch confirmed\n');
      }
      const r = await withAgent(cmd, (a) => a.call('router', {}));
      if (r.confirm?.state === 'confirmed') return void process.stderr.write('\nlaunch confirmed\n');
      if (!r.confirm || r.confirm.state === 'expired') {
        // The agent resets by itself: wait for it to finish, so the host is as it was when we exit.
        if (r.state !== 'not-launched') {
          await new Promise((res) => setTimeout(res, 500));
          continue;
        }
        process.stderr.write('\nnot confirmed in time: the launch was reset, the host is as it was\n');
        process.exitCode = ExitCode.failed;
        return;
      }
      if (tty) process.stderr.write(`\r${Math.max(0, Math.round((deadline - Date.now()) / 1000))} s left `);
      await new Promise((res) => setTimeout(res, 500));
    }
  } finally {
    if (tty) {
      process.stdin.setRawMode(false);
      process.stdin.pause();
    }
  }
}

export function registerConfirm(program: Command): void {
  program
    .command('confirm')
    .description(
      'keep a launch made with --confirm (unconfirmed, it is reset by itself when its countdown ends)',
    )
    .addHelpText('after', '\nExamples:\n  xnet-tui confirm\n  xnet-tui --lab h1 confirm --json\n')
    .action(async (_o: unknown, cmd: Command) => {
      const res = await withAgent(cmd, (a) => a.call('confirm', {}));
      emit(globals(cmd), res, (r) =>
        r.confirmed ? 'launch confirmed' : 'no launch was waiting for confirmation; nothing to do',
      );
    });
}
