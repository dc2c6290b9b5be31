import { readFile } from 'node:fs/promises';
import { badInput } from '../errors.js';

/**
 * The mesh password, read from the file the operator named (never the command line). Every driver that
 * closes its mesh with a password (Serf's keyring, Weave's) and the agent's launch check read it here.
 */
export async function readPasswordFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw badInput(
      'password-file',
      `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'give a readable file holding the mesh password',
    );
  }
  const password = text.replace(/\r?\n$/, '');
  if (!password)
    throw badInput('password-file', `${file} is empty`, 'put the mesh password on its first line');
  return password;
}
