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
 * that runs its agent and starts it again when it exits, however it exits. `lab up` starts it, `lab down` ends
 * it (SIGTERM: it ends the agent and exits).
 */
export function superviseAgent(h: LabHost): void {
  let child: ChildProcess | undefined;
  let stopping = false;
  let quickExits = 0;
  const say = (msg: string): void => {
    process.stderr.write(`${new Date().toISOString()} xnet-lab-supervisor[${h.name}]: ${msg}\n`);
  };
  const start = (): void => {
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
    child = c;
    if (c.pid) writeFileSync(h.agentPidfile, `${c.pid}\n`);
    const startedAt = Date.now();
    c.on('exit', (code, signal) => {
      child = undefined;
      if (stopping) process.exit(0);
      // Right away the first time (the agent must be back within 2 s); backing off if it keeps failing.
      quickExits = Date.now() - startedAt > 10_000 ? 0 : quickExits + 1;
      const delay = quickExits <= 1 ? 0 : Math.min(250 * 2 ** (quickExits - 2), 5_000);
      say(`agent ${c.pid} exited (${signal ?? `code ${code}`}); starting it again in ${delay} ms`);
      setTimeout(start, delay);
    });
  };
  const stop = (): void => {
    stopping = true;
    if (!child) process.exit(0);
    child.kill('SIGTERM');
    setTimeout(() => child?.kill('SIGKILL'), 5_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  start();
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
