/**
 * `docker ps`'s STATUS column ("Up 5 minutes", "Exited (0) 3 hours ago") from a container's state, as dockerd
 * words it (container/state.go and go-units' HumanDuration), so a cached container's status stays current
 * without asking dockerd again. Pure.
 */

export interface StateTimes {
  status: string;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  exitCode: number;
  /** ISO times; docker's zero time ("0001-01-01T00:00:00Z") when never started or finished. */
  startedAt: string;
  finishedAt: string;
}

/** go-units' HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks". */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

const zero = (iso: string): boolean => !iso || iso.startsWith('0001-');

/** The STATUS text at `now`. */
export function statusText(s: StateTimes, now: number): string {
  const since = (iso: string) => humanDuration(Math.max(0, now - Date.parse(iso)));
  if (s.running) {
    if (s.paused) return `Up ${since(s.startedAt)} (Paused)`;
    if (s.restarting) return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    return `Up ${since(s.startedAt)}`;
  }
  if (s.status === 'removing') return 'Removal In Progress';
  if (s.status === 'dead') return 'Dead';
  if (s.status === 'created' || zero(s.startedAt)) return 'Created';
  if (zero(s.finishedAt)) return '';
  return `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
}
