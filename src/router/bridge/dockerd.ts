import { join } from 'node:path';
import { failed } from '../../errors.js';
import type { OptionValue } from '../../docker/config/options.js';
import type { StagedChange } from '../../docker/config/plan.js';
import type { DriverDeps } from '../driver.js';
import { SAVED_FILE, type Saved } from './record.js';

type Dockerd = NonNullable<DriverDeps['dockerd']>;

/** bip goes too: dockerd refuses bip beside bridge (the bridge keeps its own address). */
const DOCKERD_KEYS = ['bridge', 'fixed-cidr', 'bip'] as const;

/**
 * dockerd on the bridge with this host's slice, through the dockerd options (validation, backup, rollback);
 * what was there is recorded first (once), for reset.
 */
export async function giveDockerdTheBridge(
  dockerd: Dockerd,
  want: { bridge: string; slice: string },
  saved: Saved,
  save: (s: Saved) => Promise<void>,
  log: (msg: string) => void,
): Promise<void> {
  const current = new Map((await dockerd.show()).options.map((o) => [o.key, o]));
  if (!saved.dockerd) {
    saved.dockerd = Object.fromEntries(
      DOCKERD_KEYS.map((k) => [
        k,
        { value: current.get(k)?.value ?? null, source: current.get(k)?.source ?? 'default' },
      ]),
    );
    await save(saved);
  }
  const wanted: Record<(typeof DOCKERD_KEYS)[number], OptionValue | null> = {
    bridge: want.bridge,
    'fixed-cidr': want.slice,
    bip: null,
  };
  const changes: StagedChange[] = DOCKERD_KEYS.filter(
    (k) => (current.get(k)?.value ?? null) !== wanted[k],
  ).map((k) => ({ key: k, value: wanted[k] }));
  if (changes.length === 0) return;
  log(`bridge: dockerd ${changes.map((c) => `${c.key}=${String(c.value)}`).join(' ')}`);
  const res = await dockerd.applyNow(changes);
  if (res.outcome !== 'applied')
    throw failed(
      `dockerd did not come back with bridge=${want.bridge} fixed-cidr=${want.slice} (${res.outcome}): ${res.reason ?? ''}`,
      '`xnet-tui dockerd show` shows what is in effect now',
    );
}

/** dockerd's options back as recorded: each value to where it came from, or unset. */
export async function giveDockerdItsOptionsBack(
  dockerd: Dockerd,
  saved: Saved,
  stateDir: string,
): Promise<void> {
  if (!saved.dockerd) return;
  const changes: StagedChange[] = Object.entries(saved.dockerd).map(([key, was]) =>
    was.source === 'default' || was.value === null
      ? { key, value: null }
      : { key, value: was.value, to: was.source === 'flag' ? 'flag' : 'daemon.json' },
  );
  const res = await dockerd.applyNow(changes);
  if (res.outcome !== 'applied')
    throw failed(
      `could not restore dockerd's ${Object.keys(saved.dockerd).join(', ')}: ${res.reason ?? res.outcome}`,
      `\`xnet-tui dockerd show\`; the record of the old values is kept in ${join(stateDir, SAVED_FILE)}`,
    );
}
