// dockerd's bip and mtu: launch gives docker's bridge this host's subnet through the dockerd options (validated,
// rolled back on failure), reset puts back what was there. Split from driver.ts, the undo beside the do.
import { join } from 'node:path';
import { failed } from '../../errors.js';
import type { OptionValue } from '../../docker/config/options.js';
import type { StagedChange } from '../../docker/config/plan.js';
import { ipBatch } from '../../net/ip.js';
import type { NetnsPath } from '../../net/netns.js';
import type { DriverDeps } from '../driver.js';
import type { HostSubnet } from './layout.js';
import { SAVED_FILE, type Saved } from './record.js';

const DOCKERD_KEYS = ['bip', 'mtu'] as const;
type Dockerd = NonNullable<DriverDeps['dockerd']>;

/** The name of docker's default bridge (docker0 unless dockerd was told otherwise). */
export async function dockerBridgeName(docker: DriverDeps['docker']): Promise<string> {
  if (!docker) return 'docker0';
  try {
    const net = (await docker.getNetwork('bridge').inspect()) as {
      Options?: Record<string, string>;
    };
    return net.Options?.['com.docker.network.bridge.name'] ?? 'docker0';
  } catch {
    return 'docker0';
  }
}

/** Records dockerd's bip and mtu as they were (first launch only), then sets ours. */
export async function giveDockerdSubnet(o: {
  dockerd: Dockerd;
  subnet: HostSubnet;
  mtu: number;
  dockerBridge: string;
  saved: Saved;
  save: (s: Saved) => Promise<void>;
  log: (msg: string) => void;
}): Promise<void> {
  const { dockerd, subnet, mtu, saved } = o;
  const shown = await dockerd.show();
  const current = new Map(shown.options.map((opt) => [opt.key, opt]));
  if (!saved.dockerd) {
    saved.dockerd = Object.fromEntries(
      DOCKERD_KEYS.map((k) => [
        k,
        { value: current.get(k)?.value ?? null, source: current.get(k)?.source ?? 'default' },
      ]),
    );
    await o.save(saved);
  }
  const want: Record<(typeof DOCKERD_KEYS)[number], OptionValue> = { bip: subnet.bip, mtu };
  const changes: StagedChange[] = DOCKERD_KEYS.filter((k) => current.get(k)?.value !== want[k]).map((k) => ({
    key: k,
    value: want[k],
  }));
  saved.applied = { bip: subnet.bip, dockerBridge: o.dockerBridge };
  await o.save(saved);
  if (changes.length === 0) return;
  o.log(`ovs-gre: dockerd ${changes.map((c) => `${c.key}=${String(c.value)}`).join(' ')}`);
  const res = await dockerd.applyNow(changes);
  if (res.outcome !== 'applied')
    throw failed(
      `dockerd did not come back with ${changes.map((c) => `${c.key}=${String(c.value)}`).join(' ')} (${res.outcome}): ${res.reason ?? ''}` +
        (res.daemonLog.length > 0 ? `\n  ${res.daemonLog.slice(-5).join('\n  ')}` : ''),
      '`xnet-tui dockerd show` shows what is in effect now',
    );
}

/** Puts dockerd's bip and mtu back as the record has them, and takes our address off docker's bridge. */
export async function restoreDockerd(o: {
  dockerd: Dockerd;
  netns: NetnsPath;
  stateDir: string;
  was: NonNullable<Saved['dockerd']>;
  applied: Saved['applied'];
}): Promise<void> {
  const changes: StagedChange[] = Object.entries(o.was).map(([key, was]) =>
    was.source === 'default' || was.value === null
      ? { key, value: null }
      : { key, value: was.value, to: was.source === 'flag' ? 'flag' : 'daemon.json' },
  );
  // dockerd without bip keeps whatever address its bridge already has: take ours off, so it picks its own again.
  if (o.applied && changes.some((c) => c.key === 'bip' && c.value === null))
    await ipBatch(o.netns, [`addr del ${o.applied.bip} dev ${o.applied.dockerBridge}`]).catch(
      () => undefined,
    );
  const res = await o.dockerd.applyNow(changes);
  if (res.outcome !== 'applied')
    throw failed(
      `could not restore dockerd's ${Object.keys(o.was).join(', ')}: ${res.reason ?? res.outcome}`,
      '`xnet-tui dockerd show`; the record of the old values is kept in ' + join(o.stateDir, SAVED_FILE),
    );
}
