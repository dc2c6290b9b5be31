import type { CountersStatus } from '../api/telemetry.js';

/** How long without a good read before the figures are called stale: two missed ticks and a half. */
export const STALE_AFTER_MS = 2_500;

export interface ReaderRecord {
  source: CountersStatus['source'];
  /** Why nothing is counted (router stopped, no tunnel), or null while it should be. */
  stopped: string | null;
  lastOkAt: number | null;
  lastError: { at: number; message: string } | null;
  /** When the reader last began to count (ms), for `since`. */
  startedAt: number | null;
  readMs: number | null;
}

/**
 * The reader's state as shown at `now`: a failed last read is failed, a reader that has not read for
 * STALE_AFTER_MS is stale (hung, or its loop is stuck), both with the age of the last good figures, so a
 * stopped source never looks like a quiet network. Pure.
 */
export function readerHealth(now: number, r: ReaderRecord): Omit<CountersStatus, 'hooks'> {
  const ageMs = r.lastOkAt === null ? null : now - r.lastOkAt;
  const base = { source: r.source, lastReadAt: r.lastOkAt, ageMs, readMs: r.readMs };
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  if (r.stopped !== null) return { ...base, state: 'stopped', reason: r.stopped, since: iso(r.startedAt) };
  if (r.lastError && (r.lastOkAt === null || r.lastError.at >= r.lastOkAt))
    return {
      ...base,
      state: 'failed',
      reason: `${r.lastError.message}${ageMs === null ? '' : `; last good read ${Math.round(ageMs / 1000)} s ago`}`,
      since: iso(r.lastOkAt ?? r.startedAt),
    };
  if (ageMs === null || ageMs > STALE_AFTER_MS) {
    const since = r.lastOkAt ?? r.startedAt;
    if (since !== null && now - since > STALE_AFTER_MS)
      return {
        ...base,
        state: 'stale',
        reason: ageMs === null ? 'no read has finished yet' : `no read for ${Math.round(ageMs / 1000)} s`,
        since: iso(since),
      };
  }
  return { ...base, state: 'running', reason: null, since: iso(r.startedAt) };
}
