import { hostname } from 'node:os';
import type { Command } from 'commander';
import { connectAgent } from '../agent/client.js';
import { DEFAULT_SOCKET } from '../agent/paths.js';
import { resolveLabHost } from '../lab/lab.js';
import { badInput } from '../errors.js';
import { globals } from './target.js';

/** `xnet-tui` with no command: the full-screen UI on this host's agent, a lab host's, or the one at --socket. */
export async function openTui(cmd: Command): Promise<void> {
  const g = globals(cmd);
  if (g.json) {
    throw badInput(
      'json',
      'the UI has no --json form',
      'use `xnet-tui status --json` or `xnet-tui ps --json`',
    );
  }
  const socket = g.lab ? resolveLabHost(g.lab).agentSocket : (g.socket ?? DEFAULT_SOCKET);
  const host = g.lab ? `${g.lab} (lab)` : hostname();
  // Start a local agent once, as any command would; after that the UI only reconnects to the one that returns.
  let autostart = !g.lab && g.start;
  const connect = async () => {
    const start = autostart;
    autostart = false;
    return connectAgent({ socket, autostart: start });
  };
  // Loaded only here so plain commands never pay for React and Ink.
  const { runTui } = await import('../ui/run.js');
  await runTui({ connect, socket, host });
}
