import { closeSync, fdatasync, fsync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const dataSynced = promisify(fdatasync);
const synced = promisify(fsync);
let serial = 0;

/**
 * Writes `text` to `file` atomically and durably: a temp file beside it (mode 0600), its data synced, renamed
 * over the file, and the directory synced so that the rename, too, survives a crash. Only the two syncs wait on
 * the disk, so only they go to libuv's thread pool; the rest is done inline (microseconds, into the page cache).
 * write-file-atomic took about eight thread-pool hops per write (stat, open, write, fsync, close, chown, chmod,
 * rename), each waiting for a turn of a busy event loop: under bench/attach its fsync took 0.6 ms and a write
 * 3-130 ms. A crash leaves the old file or the new one, and at worst a temp file beside them.
 */
export async function writeDurably(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${++serial}`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      const data = Buffer.from(text);
      for (let at = 0; at < data.length;) at += writeSync(fd, data, at);
      // A new file: fdatasync still writes its size and blocks, which reading it back needs.
      await dataSynced(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const dir = openSync(dirname(file), 'r');
  try {
    await synced(dir);
  } finally {
    closeSync(dir);
  }
}
