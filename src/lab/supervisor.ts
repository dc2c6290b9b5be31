import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { failed } from '../errors.js';
import { AgentConnection } from '../agent/rpc.js';
import { CLI_MAIN } from '../agent/client.js';
import { labAgentDockerdArgs } from './dockerd.js';
import { alive, readPid, spawnDetached, terminate } from './process.js';
import type { LabHost } from './layout.js';

/**
 * The lab's stand-in for systemd's Restart=always (this machine has no systemd): one small process per lab host
 * that runs its agent and starts one again whenever it exits, however it exits. It keeps a standby beside the
 * agent (`agent --standby`: loaded, waiting for the state directory's lock), so the next agent answers within
 * milliseconds of the last one's exit rather than after the ~0.4 s of CPU loading takes (seconds on a busy
 * machine). `lab up` starts it, `lab down` ends it (SIGTERM: it ends both agents and exits).
 */
export function superviseAgent(h: LabHost): void {
  // Oldest first: the first holds the lock (the agent), the second waits for it (the standby).
  const agents: ChildProcess[] = [];
  let stopping = false;
  let quickExits = 0;
  const say = (msg: string): void => {
    process.stderr.write(`${new Date().toISOString()} xnet-lab-supervisor[${h.name}]: ${msg}\n`);
  };
  const spawnAgent = (): void => {
    const fd = openSync(h.agentLog, 'a', 0o600);
    // nsenter --net execs the agent (no fork): the child's PID is the agent's.
    const c = spawn(
      'nsenter',
      [
        `--net=${h.netnsPath}`,
        '--',
        process.execPath,
        CLI_MAIN,
        'agent',
        '--standby',
        '--socket',
        h.agentSocket,
        '--state-dir',
        h.agentStateDir,
        '--docker-host',
        h.dockerHost,
        ...labAgentDockerdArgs(h),
      ],
      { stdio: ['ignore', fd, fd] },
    );
    closeSync(fd);
    agents.push(c);
    if (agents[0] === c && c.pid) writeFileSync(h.agentPidfile, `${c.pid}\n`);
    const startedAt = Date.now();
    c.on('exit', (code, signal) => {
      const wasAgent = agents[0] === c;
      agents.splice(agents.indexOf(c), 1);
      if (stopping) {
        if (agents.length === 0) process.exit(0);
        return;
      }
      // The standby takes the lock by itself; the pidfile follows it.
      if (wasAgent && agents[0]?.pid) writeFileSync(h.agentPidfile, `${agents[0].pid}\n`);
      // A new standby at once; backing off if agents keep failing.
      quickExits = Date.now() - startedAt > 10_000 ? 0 : quickExits + 1;
      const delay = quickExits <= 1 ? 0 : Math.min(250 * 2 ** (quickExits - 2), 5_000);
      say(
        `${wasAgent ? 'agent' : 'standby'} ${c.pid} exited (${signal ?? `code ${code}`}); a new one in ${delay} ms`,
      );
      setTimeout(() => {
        if (!stopping && agents.length < 2) spawnAgent();
      }, delay);
    });
  };
  const stop = (): void => {
    stopping = true;
    if (agents.length === 0) process.exit(0);
    // The standby first, or it would take over from the agent.
    for (const c of [...agents].reverse()) c.kill('SIGTERM');
    setTimeout(() => agents.forEach((c) => c.kill('SIGKILL')), 5_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  spawnAgent();
  // The standby only once the first agent answers: started earlier, it could take the lock first.
  const standbyWhenUp = async (): Promise<void> => {
    while (!stopping && !(await agentAnswers(h))) await new Promise((r) => setTimeout(r, 100));
    if (!stopping && agents.length < 2) spawnAgent();
  };
  void standbyWhenUp();
}

/** Whether the host's agent answers a status call on its socket. */
export async function agentAnswers(h: LabHost): Promise<boolean> {
  try {
    const c = await AgentConnection.open(h.agentSocket, 1_000);
    try {
      await c.call('status', {});
      return true;
    } finally {
      c.close();
    }
  } catch {
    return false;
  }
}

/** The first line of the agent's log since `offset` that says what went wrong (else its first line). */
function firstErrorLine(log: string, offset: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(log, 'utf8').slice(offset);
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l.trim());
  return lines.find((l) => /error|failed|cannot|denied|invalid|EADDR|ENO/i.test(l)) ?? lines[0];
}

/** Makes sure a supervisor runs for `h` and its agent answers; says why not, from the agent's log. */
export async function ensureSupervisedAgent(h: LabHost, timeoutMs = 15_000): Promise<void> {
  const logSize = (): number => {
    try {
      return statSync(h.agentLog).size;
    } catch {
      return 0;
    }
  };
  const from = logSize();
  if (!alive(readPid(h.supervisorPidfile))) {
    if (await agentAnswers(h)) await terminate(readPid(h.agentPidfile), 5_000);
    const pid = spawnDetached(process.execPath, [CLI_MAIN, 'lab', 'supervise', h.name], h.supervisorLog);
    writeFileSync(h.supervisorPidfile, `${pid}\n`);
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await agentAnswers(h))) {
    if (Date.now() > deadline) {
      const why = firstErrorLine(h.agentLog, from) ?? 'it wrote nothing';
      throw failed(
        `the agent on ${h.name} did not come up within ${timeoutMs / 1000} s: ${why}`,
        `its log: ${h.agentLog}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
