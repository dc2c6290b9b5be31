import { existsSync } from 'node:fs';
import { badInput } from '../errors.js';
import { hostIndex, labHost, type LabHost } from './layout.js';

/**
 * A lab host by name, checked to exist. Kept apart from lab.ts (dockerode, process control) because every
 * `--lab` command and the UI start here: `/run/netns/NAME` is what `ip netns list` reads, without the spawn.
 */
export function resolveLabHost(name: string): LabHost {
  const index = hostIndex(name);
  if (index === undefined)
    throw badInput(
      'host',
      `"${name}" is not a lab host name`,
      'lab hosts are named h1, h2, ...; `xnet-tui lab status` lists them',
    );
  const h = labHost(index);
  if (!existsSync(h.netnsPath))
    throw badInput('host', `lab host ${name} does not exist`, '`xnet-tui lab up --hosts N` creates it');
  return h;
}
