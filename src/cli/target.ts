import type { Command } from 'commander';
import { connectAgent } from '../agent/client.js';
import type { AgentConnection } from '../agent/rpc.js';
import { DEFAULT_SOCKET } from '../agent/paths.js';
import { resolveLabHost } from '../lab/resolve.js';

export interface GlobalOptions {
  socket?: string;
  lab?: string;
  json?: boolean;
  start: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** Which agent a command talks to: a lab host's, an explicit socket, or this host's. */
export async function agentFor(cmd: Command): Promise<AgentConnection> {
  const g = globals(cmd);
  if (g.lab) {
    // A lab host's agent is started by `lab up` inside its namespace and restarted by its supervisor, never by a client.
    const h = resolveLabHost(g.lab);
    return connectAgent({
      socket: h.agentSocket,
      autostart: false,
      noAgentHint: `the lab restarts its agents by itself: try again in a moment; \`xnet-tui lab status\` shows them, \`xnet-tui lab up\` brings the lab back, ${h.agentLog} says why`,
    });
  }
  return connectAgent({ socket: g.socket ?? DEFAULT_SOCKET, autostart: g.start });
}

/** Runs `fn` with a connection to the agent and closes it afterwards. */
export async function withAgent<T>(cmd: Command, fn: (agent: AgentConnection) => Promise<T>): Promise<T> {
  const agent = await agentFor(cmd);
  try {
    return await fn(agent);
  } finally {
    agent.close();
  }
}
