// The driver's record on disk (ovs-gre.json): what launch changed outside its own bridges, so reset can put it
// back even from a fresh agent. Split from driver.ts: the record's shape and file change apart from the driver.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { failed } from '../../errors.js';
import { OptionValue } from '../../docker/config/options.js';
import { UnderlayRecord } from './underlay.js';

/** What this driver changed outside its own bridges, so reset can put it back even after an agent restart. */
export const SAVED_FILE = 'ovs-gre.json';

export const Saved = z.object({
  /** dockerd's options as they were before the first launch: value and where it came from. */
  dockerd: z.record(z.string(), z.object({ value: OptionValue.nullable(), source: z.string() })).optional(),
  underlay: UnderlayRecord.optional(),
  /** The bip this driver gave docker's bridge, and the bridge. */
  applied: z.object({ bip: z.string(), dockerBridge: z.string() }).optional(),
  /** Userspace datapath: the NIC whose tx checksum offload was turned off (see checksumOffloadOff). */
  txOffload: z.object({ dev: z.string(), wasOn: z.boolean() }).optional(),
  /** Peers `forget` took the tunnel from, until `connect` gives it back: a relaunch must not re-tunnel them. */
  forgotten: z.array(z.string()).optional(),
});
export type Saved = z.infer<typeof Saved>;

export async function loadSaved(stateDir: string): Promise<Saved> {
  try {
    return Saved.parse(JSON.parse(await readFile(join(stateDir, SAVED_FILE), 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw failed(
      `${join(stateDir, SAVED_FILE)} is damaged: ${(err as Error).message}`,
      'it records what reset must put back (dockerd bip/mtu, the underlay, NIC offload): repair it by hand, or move it away and check `xnet-tui dockerd show` and `ip addr` yourself',
    );
  }
}

/** Writes the record with the forgotten peers as they are now (whatever `s` was read with). */
export async function writeSaved(
  stateDir: string,
  s: Saved,
  forgottenPeers: ReadonlySet<string>,
): Promise<void> {
  const forgotten = [...forgottenPeers].sort();
  const record: Saved = { ...s, ...(forgotten.length > 0 ? { forgotten } : { forgotten: undefined }) };
  await writeFileAtomic(join(stateDir, SAVED_FILE), JSON.stringify(record, null, 2) + '\n', {
    mode: 0o600,
  });
}

export async function removeSaved(stateDir: string): Promise<void> {
  await rm(join(stateDir, SAVED_FILE), { force: true });
}
