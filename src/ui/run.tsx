import { render } from 'ink';
import { App } from './App.js';
import { loadConfig } from './config.js';
import type { Connect } from './hooks/useAgent.js';
import { pickTheme } from './theme/tokens.js';
import { DiffTerminal } from './terminal.js';
import { ENTER_ALT, LEAVE_ALT } from '../cli/splash.js';
import { BeforeExit } from './before-exit.js';

export interface RunOptions {
  connect: Connect;
  socket: string;
  host: string;
  /** What the splash left on the alternate screen (already entered), if it painted. */
  painted?: string[];
}

/**
 * Opens the UI on the alternate screen and gives the terminal back on every way out: q, the process exiting,
 * SIGTERM/SIGHUP/SIGINT, and a crash (the error is printed after the screen is restored).
 */
export async function runTui(opts: RunOptions): Promise<void> {
  const out = process.stdout;
  const config = loadConfig();
  const theme = pickTheme(config.theme, process.env);
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    out.write(LEAVE_ALT);
  };
  if (!opts.painted) out.write(ENTER_ALT);
  process.once('exit', restore);
  const terminal = new DiffTerminal(out, opts.painted);
  const beforeExit = new BeforeExit();
  const instance = render(
    <App
      connect={opts.connect}
      socket={opts.socket}
      host={opts.host}
      theme={theme}
      bindings={config.bindings}
      notice={config.problem}
      beforeExit={beforeExit}
    />,
    {
      stdout: terminal as unknown as NodeJS.WriteStream,
      exitOnCtrlC: false,
      patchConsole: true,
      maxFps: 10,
    },
  );
  const onSignal = (signal: NodeJS.Signals): void => {
    // An open capture is closed on the agent first (at most a second), while the connection is still up.
    void beforeExit.run().finally(() => {
      instance.unmount();
      restore();
      process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
    });
  };
  const onCrash = (err: unknown): void => {
    try {
      instance.unmount();
    } finally {
      restore();
      process.stderr.write(`xnet-tui: the UI crashed: ${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    }
  };
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGINT'];
  for (const s of signals) process.once(s, onSignal);
  process.once('uncaughtException', onCrash);
  process.once('unhandledRejection', onCrash);
  try {
    await instance.waitUntilExit();
  } finally {
    for (const s of signals) process.off(s, onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    terminal.dispose();
    restore();
  }
}
