import { mkdtemp, mkdir, copyFile, symlink, rm, access, chmod, rename } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { run } from '../net/exec.js';
import { IMAGE, LAB_DATA } from './layout.js';

const BUSYBOX = '/bin/busybox';
const TARBALL = join(LAB_DATA, 'busybox-rootfs.tar');

let building: Promise<string> | undefined;

/** A root filesystem from Debian's busybox-static: one static binary and a relative link per applet. */
export function rootfsTar(): Promise<string> {
  building ??= buildRootfsTar().finally(() => (building = undefined));
  return building;
}

async function buildRootfsTar(): Promise<string> {
  try {
    await access(TARBALL);
    return TARBALL;
  } catch {
    /* build it */
  }
  const root = await mkdtemp(join(tmpdir(), 'xnet-rootfs-'));
  try {
    await mkdir(join(root, 'bin'), { recursive: true });
    await mkdir(join(root, 'etc'));
    await mkdir(join(root, 'tmp'));
    await chmod(join(root, 'tmp'), 0o1777);
    await copyFile(BUSYBOX, join(root, 'bin', 'busybox'));
    await chmod(join(root, 'bin', 'busybox'), 0o755);
    const { stdout } = await run(BUSYBOX, ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) {
      await symlink('busybox', join(root, 'bin', applet));
    }
    await mkdir(LAB_DATA, { recursive: true });
    await run('tar', ['-C', root, '-cf', `${TARBALL}.tmp`, '.']);
    await rename(`${TARBALL}.tmp`, TARBALL);
    return TARBALL;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Imports the busybox image into a dockerd unless it is there already (no registry needed). */
export async function ensureImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(IMAGE).inspect();
    return;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const tar = await rootfsTar();
  const [repo, tag] = IMAGE.split(':') as [string, string];
  const stream = await docker.importImage(
    createReadStream(tar) as unknown as string,
    {
      repo,
      tag,
      changes: ['ENV PATH=/bin', 'CMD ["/bin/sh"]'],
    } as unknown as Record<string, unknown>,
  );
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())),
  );
  await docker.getImage(IMAGE).inspect();
}
