import { batchSession, sessionPids } from './batch-session.js';
import type { NetnsPath } from './netns.js';

/**
 * `ip -json -s -details link show` through one long-lived `ip -batch -` per namespace: telemetry reads every
 * interface's counters once a second, and a process for each reading was most of an idle agent's spawns (two a
 * second with the overlay namespace, each an nsenter and an ip). iproute2 answers each batch line at once, one
 * JSON array on one line, so a reading is a line written and a line read. /proc/PID/net/dev would need a process
 * in the namespace as well and lacks the ifindex, kind, master and operstate the counters key on.
 */
const FLAGS = ['-s', '-details'];

/**
 * Every interface of `netns` with its statistics and details, as `ip -json -s -details link show` prints them,
 * from that namespace's long-lived reader (started on first use, started again after it died or its namespace
 * was made anew).
 */
export function readLinkStats<T>(netns: NetnsPath): Promise<T[]> {
  return batchSession(netns, 'ip', FLAGS).show<T>('link show');
}

/** The readers' processes (tests count them). */
export function linkReaderPids(): number[] {
  return sessionPids('ip', FLAGS);
}
