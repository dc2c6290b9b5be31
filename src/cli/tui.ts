import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { DEFAULT_SOCKET } from '../agent/paths.js';
import { resolveLabHost } from '../lab/resolve.js';
import { badInput } from '../errors.js';
import { LEAVE_ALT, paintSplash } from './splash.js';
import type { GlobalOptions } from './target.js';

type UiModule = typeof import('../ui/main.js');

/** The bundle `npm run build` makes of ../ui/main.js; the modules themselves where it was not made (tsc alone). */
const UI_BUNDLE = new URL('../ui/bundle/main.js', import.meta.url);
async function loadUi(): Promise<UiModule> {
  if (existsSync(UI_BUNDLE)) return (await import(UI_BUNDLE.href)) as UiModule;
  // The composition root: `xnet-tui` with no command loads the UI, the one layer above the CLI, lazily.
  // eslint-disable-next-line import-x/no-restricted-paths
  return import('../ui/main.js');
}

/** `xnet-tui` with no command: the full-screen UI on this host's agent, a lab host's, or the one at --socket. */
export async function openTui(cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  if (g.json) {
    throw badInput(
      'json',
      'the UI has no --json form',
      'use `xnet-tui status --json` or `xnet-tui ps --json`',
    );
  }
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw badInput(
      'terminal',
      'the UI needs a terminal on stdin and stdout',
      'scripts use the commands instead: `xnet-tui status --json`, `xnet-tui ps --json`',
    );
  }
  const socket = g.lab ? resolveLabHost(g.lab).agentSocket : (g.socket ?? DEFAULT_SOCKET);
  const host = g.lab ? `${g.lab} (lab)` : hostname();
  // React's development build only adds checks and warnings nobody at this terminal reads, and costs start-up.
  process.env.NODE_ENV ??= 'production';
  // Paint before loading React, Ink and the RPC schemas: the operator sees the host at once.
  const painted = paintSplash(process.stdout, host, socket);
  let loaded: UiModule;
  try {
    loaded = await loadUi();
  } catch (err) {
    process.stdout.write(LEAVE_ALT);
    throw err;
  }
  const { connectAgent, runTui } = loaded;
  // Start a local agent once, as any command would; after that the UI only reconnects to the one that returns.
  let autostart = !g.lab && g.start;
  const connect = async () => {
    const start = autostart;
    autostart = false;
    return connectAgent({ socket, autostart: start });
  };
  await runTui({ connect, socket, host, painted });
}
