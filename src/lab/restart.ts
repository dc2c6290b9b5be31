import { existsSync, readFileSync } from 'node:fs';
import { failed } from '../errors.js';
import { agentAnswers, ensureSupervisedAgent } from './supervisor.js';
import { alive, pidsMentioning, readPid, terminate } from './process.js';
import { resolveLabHost } from './resolve.js';
import { supervisePlanFile, type SupervisePlan } from './supervise-main.js';
import { existingHosts, STANDBY_UP_TO } from './lab.js';

export interface LabRestart {
  host: string;
  /** The agent that answers now. */
  pid: number;
  /** Whether its supervisor had to be started again (it had been killed with the agent). */
  supervisorStarted: boolean;
  seconds: number;
}

/**
 * Restarts one lab host's agent, as an operator restarts the agent of one real host (`systemctl restart
 * xnet-agent`): the running agent ends and its supervisor starts the next; a host whose supervisor is gone too
 * (killed) gets a new supervisor. The other hosts are not looked at: `lab up` walks every host (their network,
 * dockerd and agent, six at a time), which took most of the minute a killed host in a 50-host lab needed to
 * come back. Returns once the agent answers; the router comes back from its state file as on any agent start.
 */
export async function labRestartAgent(name: string, timeoutMs = 60_000): Promise<LabRestart> {
  const h = resolveLabHost(name);
  const started = Date.now();
  const supervisor = readPid(h.supervisorPidfile);
  const supervised = alive(supervisor);
  if (supervised) {
    // The supervisor starts the next agent at once (its standby, where it keeps one, takes over).
    await terminate(readPid(h.agentPidfile), 5_000);
  } else {
    // Its agents left behind (the agent, an orphaned standby that would take the lock): found by their socket.
    for (const pid of pidsMentioning(h.agentSocket)) await terminate(pid, 5_000);
    const plan = existsSync(supervisePlanFile(h))
      ? (JSON.parse(readFileSync(supervisePlanFile(h), 'utf8')) as SupervisePlan)
      : undefined;
    const standby = plan?.standby ?? existingHosts().length <= STANDBY_UP_TO;
    await ensureSupervisedAgent(h, { standby, timeoutMs });
  }
  const deadline = Date.now() + timeoutMs;
  while (!(await agentAnswers(h))) {
    if (Date.now() > deadline)
      throw failed(
        `the agent on ${h.name} did not answer within ${timeoutMs / 1000} s`,
        `its log: ${h.agentLog}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host: h.name,
    pid: readPid(h.agentPidfile) ?? 0,
    supervisorStarted: !supervised,
    seconds: (Date.now() - started) / 1000,
  };
}
