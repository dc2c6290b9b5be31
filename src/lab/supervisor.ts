import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { failed } from '../errors.js';
import { AgentConnection } from '../agent/rpc.js';
import { CLI_MAIN } from '../agent/client.js';
import { labAgentDockerdArgs } from './dockerd.js';
import { alive, readPid, spawnDetached, terminate } from './process.js';
import type { LabHost } from './layout.js';
import { supervisePlanFile, type SupervisePlan } from './supervise-main.js';

/** The supervisor's entry point, compiled (tests load this module from src/, the supervisor runs from dist/). */
const SUPERVISE_MAIN = join(dirname(CLI_MAIN), '..', 'lab', 'supervise-main.js');

/**
 * The agent's command line as the supervisor runs it: in the host's namespace, pointed at the host's dockerd;
 * `--standby` on every one, so an agent started while the last one still exits waits for its lock.
 */
export function labAgentArgv(h: LabHost): string[] {
  return [
    'nsenter',
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
  ];
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
export async function ensureSupervisedAgent(
  h: LabHost,
  { standby = true, timeoutMs = 15_000 }: { standby?: boolean; timeoutMs?: number } = {},
): Promise<void> {
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
    const plan: SupervisePlan = { argv: labAgentArgv(h), standby };
    writeFileSync(supervisePlanFile(h), JSON.stringify(plan) + '\n');
    const pid = spawnDetached(process.execPath, [SUPERVISE_MAIN, h.name], h.supervisorLog);
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
