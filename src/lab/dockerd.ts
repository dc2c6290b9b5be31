import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { failed } from '../errors.js';
import { CLI_MAIN } from '../agent/client.js';
import { effectiveExecStart } from '../docker/config/systemd.js';
import { unitFiles } from '../docker/config/files.js';
import { alive, readPid, spawnDetached, terminate } from './process.js';
import type { LabHost } from './layout.js';
import { poll } from '../poll.js';

/**
 * A lab host's dockerd, run the way systemd would run it: from the ExecStart of a unit file (plus drop-ins)
 * in the host's data dir, reading a per-host daemon.json, so `xnet-tui dockerd` edits it like a real host's.
 */

export const UNIT = 'docker.service';

export function labDockerdFiles(h: LabHost): { config: string; unitDir: string } {
  return { config: join(h.dataDir, 'daemon.json'), unitDir: join(h.dataDir, 'systemd') };
}

function baseArgv(h: LabHost): string[] {
  return [
    'dockerd',
    '--host',
    h.dockerHost,
    '--data-root',
    h.dockerDataRoot,
    '--exec-root',
    h.dockerExecRoot,
    '--pidfile',
    h.dockerPidfile,
    '--log-level',
    'warn',
    '--config-file',
    labDockerdFiles(h).config,
  ];
}

/** The agent options that point a lab host's agent at this dockerd, and at `lab restart-dockerd`. */
export function labAgentDockerdArgs(h: LabHost): string[] {
  return [
    '--dockerd-unit-dir',
    labDockerdFiles(h).unitDir,
    '--dockerd-restart',
    `${process.execPath} ${CLI_MAIN} lab restart-dockerd ${h.name}`,
    '--dockerd-log',
    h.dockerLog,
  ];
}

/** Starts the host's dockerd from its unit and returns once it answers; throws with its log if it exits. */
export async function startLabDockerd(h: LabHost, timeoutMs = 60_000): Promise<number> {
  const { config, unitDir } = labDockerdFiles(h);
  for (const d of [h.runDir, h.dataDir, unitDir]) mkdirSync(d, { recursive: true });
  writeFileSync(join(unitDir, UNIT), `[Service]\nExecStart=${baseArgv(h).join(' ')}\n`);
  if (!existsSync(config)) writeFileSync(config, '{}\n');
  const exec = effectiveExecStart(
    unitFiles({ configPath: config, unitDirs: [unitDir], unit: UNIT }),
    () => undefined,
  );
  if (!exec) throw failed(`no ExecStart for dockerd in ${unitDir}`);
  const logStart = existsSync(h.dockerLog) ? readFileSync(h.dockerLog).length : 0;
  const pid = spawnDetached('nsenter', [`--net=${h.netnsPath}`, '--', ...exec.argv], h.dockerLog);
  const docker = new Docker({ socketPath: h.dockerSocket });
  const answered = await poll(
    async () => {
      const ok = await docker.ping().then(
        () => true,
        () => false,
      );
      // A dockerd that exited will not answer: stop waiting.
      return ok || !alive(pid) ? ok : undefined;
    },
    { everyMs: 100, withinMs: timeoutMs },
  );
  if (answered) return pid;
  const log = existsSync(h.dockerLog) ? readFileSync(h.dockerLog).subarray(logStart).toString('utf8') : '';
  const tail = log.trim().split('\n').slice(-5).join('\n  ');
  throw failed(
    `dockerd on ${h.name} ${alive(pid) ? `did not answer within ${timeoutMs / 1000} s` : 'exited during start-up'}` +
      (tail ? `:\n  ${tail}` : ''),
    `see ${h.dockerLog}`,
  );
}

/** Stops the host's dockerd by its pidfile PID and starts it again from its unit: the lab's `systemctl restart`. */
export async function restartLabDockerd(h: LabHost): Promise<number> {
  await terminate(readPid(h.dockerPidfile), 20_000);
  return startLabDockerd(h);
}
