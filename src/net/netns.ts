import { statSync } from 'node:fs';

/**
 * The one place that knows how to run a command inside another network namespace.
 * A namespace is named by its bind-mount or /proc path (`/run/netns/xnet-h1`, `/proc/PID/ns/net`);
 * `undefined` means the caller's own namespace. nsenter enters only the network namespace, so the
 * command keeps our mounts, cgroups and PIDs (unlike `ip netns exec`, which remounts /sys).
 */
export type NetnsPath = string | undefined;

export function inNetns(netns: NetnsPath, file: string, args: readonly string[]): [string, string[]] {
  if (!netns) return [file, [...args]];
  return ['nsenter', [`--net=${netns}`, '--', file, ...args]];
}

/**
 * A long-lived child (a probe loop, a monitor) that dies with the agent: the kernel sends it SIGKILL when the
 * agent's thread that started it ends, however the agent ends (SIGKILL included). Without it, a loop whose
 * targets had gone silent (a torn-down namespace) printed nothing, never met SIGPIPE, and ran on forever.
 * setpriv sets the signal and execs; nsenter execs too, so the signal stays on the process that runs.
 */
export function diesWithParent([file, args]: [string, string[]]): [string, string[]] {
  return ['setpriv', ['--pdeathsig', 'KILL', file, ...args]];
}

export function netnsOfPid(pid: number): string {
  return `/proc/${pid}/ns/net`;
}

/** Identity of a namespace (device and inode of its nsfs file), to tell whether two paths are the same one. */
export function netnsId(path: string): string {
  const st = statSync(path);
  return `${st.dev}:${st.ino}`;
}
