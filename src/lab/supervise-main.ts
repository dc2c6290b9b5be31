import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { hostIndex, labHost, type LabHost } from './layout.js';

/**
 * The lab's stand-in for systemd's Restart=always (this machine has no systemd): one small process per lab host
 * that runs its agent and starts one again whenever it exits, however it exits. With a standby it keeps a second
 * agent beside the first (`agent --standby`: loaded, waiting for the state directory's lock), so the next agent
 * answers within milliseconds of the last one's exit rather than after the ~0.4 s of CPU loading takes (seconds
 * on a busy machine). `lab up` starts it, `lab down` ends it (SIGTERM: it ends its agents and exits).
 *
 * Its own entry point, importing node's built-ins and the lab layout only: as `xnet-tui lab supervise` it
 * loaded the CLI, dockerode and the API schemas, 77 MB per lab host for a process that only waits. `lab up`
 * writes what it runs (SupervisePlan) beside the host's other runtime files.
 */
export interface SupervisePlan {
  /** The agent's command line, nsenter first. */
  argv: string[];
  standby: boolean;
}

export function supervisePlanFile(h: LabHost): string {
  return `${h.runDir}/supervise.json`;
}

/** Whether something listens on the agent's socket: the agent listens once it has loaded and started. */
function listening(socket: string): Promise<boolean> {
  return new Promise((done) => {
    const c = createConnection(socket);
    c.once('connect', () => {
      c.destroy();
      done(true);
    });
    c.once('error', () => done(false));
  });
}

export function superviseAgent(h: LabHost, plan: SupervisePlan): void {
  // Oldest first: the first holds the lock (the agent), the second waits for it (the standby).
  const agents: ChildProcess[] = [];
  const wanted = plan.standby ? 2 : 1;
  let stopping = false;
  let quickExits = 0;
  const say = (msg: string): void => {
    process.stderr.write(`${new Date().toISOString()} xnet-lab-supervisor[${h.name}]: ${msg}\n`);
  };
  const spawnAgent = (): void => {
    const fd = openSync(h.agentLog, 'a', 0o600);
    // nsenter --net execs the agent (no fork): the child's PID is the agent's.
    const c = spawn(plan.argv[0]!, plan.argv.slice(1), { stdio: ['ignore', fd, fd] });
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
      // A new one at once; backing off if agents keep failing.
      quickExits = Date.now() - startedAt > 10_000 ? 0 : quickExits + 1;
      const delay = quickExits <= 1 ? 0 : Math.min(250 * 2 ** (quickExits - 2), 5_000);
      say(
        `${wasAgent ? 'agent' : 'standby'} ${c.pid} exited (${signal ?? `code ${code}`}); a new one in ${delay} ms`,
      );
      setTimeout(() => {
        if (!stopping && agents.length < wanted) spawnAgent();
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
  if (!plan.standby) return;
  // The standby only once the first agent answers: started earlier, it could take the lock first.
  const standbyWhenUp = async (): Promise<void> => {
    while (!stopping && !(await listening(h.agentSocket))) await new Promise((r) => setTimeout(r, 100));
    if (!stopping && agents.length < 2) spawnAgent();
  };
  void standbyWhenUp();
}

// `node supervise-main.js hN`, as `lab up` starts it.
const index = hostIndex(process.argv[2] ?? '');
if (index !== undefined && process.argv[1]?.endsWith('supervise-main.js')) {
  const h = labHost(index);
  superviseAgent(h, JSON.parse(readFileSync(supervisePlanFile(h), 'utf8')) as SupervisePlan);
}
