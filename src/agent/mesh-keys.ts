import { resolve } from 'node:path';
import { badInput } from '../errors.js';
import type { LaunchSettings } from '../router/driver.js';
import { readPasswordFile } from '../router/password.js';
import { readKeyring } from '../router/serf/keyring.js';
import { keyFromPassword } from '../router/serf/process.js';

/**
 * A running member given another password would restart its serf with a key the mesh does not have and be cut
 * off: a password change needs a reset (the mesh key is the same on every member).
 */
export async function refuseNewPassword(
  priorFile: string | undefined,
  password: string | undefined,
  stateDir: string,
): Promise<void> {
  const prior = priorFile ? await readPasswordFile(priorFile).catch(() => undefined) : undefined;
  if (prior === password) return;
  // After a rotation run elsewhere, serf's keyring already uses this password's key: naming the file is no change.
  if (password && (await readKeyring(stateDir))[0] === keyFromPassword(password)) return;
  throw badInput(
    'password-file',
    `this host is a running member ${prior === undefined ? 'without a mesh password' : 'with another mesh password'}; ` +
      'changing it needs a reset first (the other members would no longer let it in)',
    'run `xnet-tui reset` (attachments stay), then launch with the password the whole mesh uses',
  );
}

/** rotate-key's input, checked before anything changes: a readable, non-empty file, on a mesh with a password. */
export async function rotationInput(
  file: string,
  settings: LaunchSettings | undefined,
): Promise<{ passwordFile: string; key: string }> {
  const passwordFile = resolve(file);
  const key = keyFromPassword(await readPasswordFile(passwordFile));
  if (!settings?.passwordFile)
    throw badInput(
      'password-file',
      'this mesh has no password, so it has no key to rotate',
      'a mesh without a password gets one by `xnet-tui reset` and `launch --password-file FILE` on every member',
    );
  return { passwordFile, key };
}
