import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, statfs } from 'node:fs/promises';
import { run } from './exec.js';

/** Where programs and maps are pinned. `ip netns exec` mounts another /sys and hides it; nsenter does not. */
export const BPFFS = '/sys/fs/bpf';
const BPF_FS_MAGIC = 0xcafe4a11;

/** Mounts bpffs where the host has none (Debian does not mount it by default). */
export async function ensureBpffs(): Promise<void> {
  if ((await statfs(BPFFS)).type === BPF_FS_MAGIC) return;
  await run('mount', ['-t', 'bpf', 'bpf', BPFFS]);
}

export const pinned = async (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * One agent's pin directory (by its state directory): tc's default pin directory is shared by every agent on a
 * machine (every lab host), and maps shared by agents would mix their hosts. `part` names a set of pins loaded
 * and replaced apart from the others.
 */
export const agentPins = (stateDir: string, part = ''): string =>
  `${BPFFS}/xnet/${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 16)}${part && `-${part}`}`;

/**
 * Loads every program of `object` anew under `root` (`progs/` and `maps/`), replacing whatever was pinned there:
 * tc filters that still run the old programs keep them until they are replaced.
 */
export async function loadPinned(object: string, root: string): Promise<void> {
  if (!existsSync(object))
    throw new Error(
      `no BPF object at ${object} (clang was not there at build time: run scripts/setup-host.sh)`,
    );
  await ensureBpffs();
  await rm(root, { recursive: true, force: true });
  await mkdir(`${root}/maps`, { recursive: true });
  await run('bpftool', [
    'prog',
    'loadall',
    object,
    `${root}/progs`,
    'type',
    'classifier',
    'pinmaps',
    `${root}/maps`,
  ]);
}
