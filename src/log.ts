import { readlinkSync, statSync } from 'node:fs';
import { copyFile, stat, truncate } from 'node:fs/promises';

/** A log over this size is rotated: one old file (`.1`) is kept. XNET_LOG_MAX_BYTES overrides it (tests). */
export const LOG_MAX_BYTES = Number(process.env.XNET_LOG_MAX_BYTES) || 10 * 1024 * 1024;
export const ROTATE_EVERY_MS = Number(process.env.XNET_LOG_CHECK_MS) || 10_000;

/**
 * Copy, then truncate: the writers (the agent's stderr, serf's stdout) hold the file open with O_APPEND, so they
 * go on writing at the new end of the same file; a rename would leave them writing to the old one. What is
 * written between the copy and the truncate is lost, a few lines at most.
 */
export async function rotateLog(file: string, max = LOG_MAX_BYTES): Promise<boolean> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile() || st.size <= max) return false;
  await copyFile(file, `${file}.1`);
  await truncate(file, 0);
  return true;
}

/** The file this process's stderr goes to, when it is one (auto-started and lab agents); not under journald. */
export function stderrFile(): string | undefined {
  try {
    const target = readlinkSync('/proc/self/fd/2');
    return target.startsWith('/') && statSync(target).isFile() ? target : undefined;
  } catch {
    return undefined;
  }
}

/** Rotates `files()` every ROTATE_EVERY_MS; returns the stop function. */
export function rotateLogs(files: () => (string | undefined)[], log: (msg: string) => void): () => void {
  const timer = setInterval(() => {
    for (const f of files()) if (f) rotateLog(f).catch((err: Error) => log(`rotating ${f}: ${err.message}`));
  }, ROTATE_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
