import { execFileSync } from 'node:child_process';
import { CLI_MAIN } from '../../src/agent/client.js';
import { eventually } from './wait.js';

/** The real TUI in a real terminal: a tmux server of the test's own, one session, keys in and screen text out. */
export interface TmuxTui {
  /** Runs tmux on this test's server. */
  tmux(...args: string[]): string;
  /** Opens the TUI on lab host `host` in a `cols` x `rows` terminal, with `env` (NAME=VALUE) added. */
  open(host: string, size: { cols: number; rows: number }, env?: string[]): void;
  /** What the session's pane shows (with the capture flags given to tmuxTui). */
  screen(): string;
  keys(...k: string[]): void;
  /** Types `text` as it stands (tmux send-keys -l): no key names. */
  typeText(text: string): void;
  /** The screen once it matches `re`; throws with what it shows after `ms`. */
  waitForScreen(re: RegExp, ms?: number): Promise<string>;
  /** Ends the server, and with it the TUI; nothing when it is already gone. */
  kill(): void;
}

/**
 * A tmux server named `name`-PID (so two runs never share one) with a session `session`; `capture` adds flags to
 * capture-pane (-e keeps colours, -J joins wrapped lines); `waitMs` is how long waitForScreen waits unless told.
 */
export function tmuxTui(
  name: string,
  o: { session?: string; capture?: string[]; waitMs?: number } = {},
): TmuxTui {
  const server = ['-L', `${name}-${process.pid}`];
  const session = o.session ?? 'ui';
  const tmux = (...args: string[]): string =>
    execFileSync('tmux', [...server, ...args], { encoding: 'utf8' });
  const screen = (): string => tmux('capture-pane', '-p', ...(o.capture ?? []), '-t', session);
  return {
    tmux,
    screen,
    open(host, { cols, rows }, env = []) {
      tmux(
        'new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows),
        // Ink renders nothing but the last frame when CI is set, and CI runs the lab suites with CI=true; a
        // NO_COLOR in the runner's environment would draw the plain theme's ASCII frames the tests do not match.
        'env', '-u', 'CI', '-u', 'NO_COLOR', 'LANG=C.UTF-8', ...env, `XNET_LAB_ID=${process.env.XNET_LAB_ID ?? ''}`,
        'XDG_CONFIG_HOME=/nonexistent', process.execPath, CLI_MAIN, '--lab', host,
      ); // prettier-ignore
    },
    keys: (...k) => void tmux('send-keys', '-t', session, ...k),
    typeText: (text) => void tmux('send-keys', '-t', session, '-l', text),
    waitForScreen: async (re, ms = o.waitMs ?? 15_000) =>
      (await eventually(`the screen matching ${re}`, screen, (s) => re.test(s), ms)).value,
    kill() {
      try {
        execFileSync('tmux', [...server, 'kill-server'], { stdio: 'ignore' });
      } catch {
        // already gone: the UI quit and its session with it
      }
    },
  };
}
