import type { ContainerAfter, DockerdApplyResult, RestartImpact, Result } from '../../api/index.js';

/** What a dockerd restart means for the containers, in words: the CLI and the TUI say it alike. */

/** The restart's phase and its time against the timeout: `wait healthy: 12 s of 60 s`. */
export function progressText(a: NonNullable<Result<'dockerd.show'>['applying']>, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(a.startedAt)) / 1000));
  return `${a.phase}: ${s} s of ${a.timeoutSeconds} s`;
}

/** What a restart does to the running containers, in words, and whether it stops any. */
export function impactText(i: RestartImpact | null | undefined): { text: string; stops: boolean } {
  if (!i) return { text: 'dockerd did not say which containers run', stops: false };
  const names = i.running.map((c) => c.name).join(', ');
  if (i.running.length === 0) return { text: 'no container is running: none will stop', stops: false };
  if (i.liveRestore)
    return {
      text: `live-restore is on: ${i.running.length} running container(s) keep running (${names})`,
      stops: false,
    };
  return {
    text: `live-restore is off: ${i.running.length} running container(s) will STOP: ${names}`,
    stops: true,
  };
}

/** Containers that ran before the restart and do not now. */
export const stoppedAfter = (r: DockerdApplyResult | undefined): ContainerAfter[] =>
  (r?.containers ?? []).filter((c) => c.wasRunning && !c.running);
