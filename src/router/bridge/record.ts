import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { z } from 'zod';
import { failed } from '../../errors.js';
import { OptionValue } from '../../docker/config/options.js';
import type { NetnsPath } from '../../net/netns.js';
import { moveIntoBridge, NicRecord, nicInBridge } from './nic.js';
import { DEFAULT_BRIDGE } from './plan.js';

/** What the bridge driver changed, on disk: reset and a failed check put it back, boot puts the bridge up again. */
export const SAVED_FILE = 'bridge.json';

export const Saved = z.object({
  /** The NIC as it was before it moved into the bridge. */
  nic: NicRecord.optional(),
  bridge: z.string().optional(),
  /** The slice dockerd was given (proposed ones too, so a relaunch keeps it). */
  slice: z.string().optional(),
  /** dockerd's options as they were before the first launch: value and where it came from. */
  dockerd: z.record(z.string(), z.object({ value: OptionValue.nullable(), source: z.string() })).optional(),
});
export type Saved = z.infer<typeof Saved>;

export async function loadRecord(stateDir: string): Promise<Saved> {
  const file = join(stateDir, SAVED_FILE);
  try {
    return Saved.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw failed(
      `${file} is damaged: ${(err as Error).message}`,
      "it records the NIC's addresses and routes and dockerd's options: repair it, or move it away and check `ip addr` and `xnet-tui dockerd show` yourself",
    );
  }
}

export async function saveRecord(stateDir: string, s: Saved): Promise<void> {
  await writeFileAtomic(join(stateDir, SAVED_FILE), JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
}

/**
 * At boot, before docker.service (dockerd's `bridge` names a bridge it does not create): the NIC moves into
 * the bridge again as recorded. No check here: the agent's relaunch finds it moved and carries on.
 */
export async function bridgeBeforeDocker(stateDir: string, netns: NetnsPath): Promise<string> {
  const saved = await loadRecord(stateDir);
  if (!saved.nic) return 'no bridge recorded: nothing to do';
  const bridge = saved.bridge ?? DEFAULT_BRIDGE;
  if (await nicInBridge(netns, saved.nic.dev, bridge)) return `${saved.nic.dev} is already in ${bridge}`;
  await moveIntoBridge(netns, saved.nic, bridge);
  return `${saved.nic.dev} moved into ${bridge}`;
}
