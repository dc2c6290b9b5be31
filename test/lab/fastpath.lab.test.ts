import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinsFor } from '../../src/telemetry/bpf/kernel.js';
import { xnet } from '../helpers/cli.js';
import { overlayOf, ping } from '../helpers/lab.js';
import { C2, labPair } from '../helpers/mesh.js';
import { eventually } from '../helpers/wait.js';

// The fast path across the VXLAN device's re-create (a relaunch with another MTU deletes the device and makes it
// anew): the programs' config must never name the deleted device's ifindex once it is gone.
const mesh = labPair();
const [h1] = mesh.hosts;
const run = promisify(execFile);
const VXLAN_DEV = 'xnet-vx';

/** The VXLAN device's ifindex in h1's overlay namespace; 0 while there is none. */
async function deviceIfindex(): Promise<number> {
  const r = await run('nsenter', [
    `--net=${overlayOf(h1)}`,
    '--',
    'ip',
    '-j',
    'link',
    'show',
    VXLAN_DEV,
  ]).catch(() => undefined);
  return r ? (JSON.parse(r.stdout) as { ifindex: number }[])[0]!.ifindex : 0;
}

/** The tunnel ifindex in the programs' config (counters.bpf.c's xnet_config), as the kernel holds it on h1. */
async function configIfindex(): Promise<number> {
  const { config } = pinsFor(h1.agentStateDir);
  const r = await run('bpftool', ['-j', 'map', 'lookup', 'pinned', config, 'key', '0', '0', '0', '0']);
  const v = JSON.parse(r.stdout) as {
    formatted: { value: { '.bss': { xnet_config: { tunnel_ifindex: number } }[] } };
  };
  return v.formatted.value['.bss'][0]!.xnet_config.tunnel_ifindex;
}

describe('the fast path when the VXLAN device is made anew', () => {
  beforeAll(() => mesh.up(), 240_000);
  afterAll(() => mesh.down(), 120_000);

  it('never names the deleted device in its config, and carries pings after', async () => {
    const old = await deviceIfindex();
    expect(old).toBeGreaterThan(0);
    await eventually('the fast path on', configIfindex, (i) => i === old, 10_000);

    // Sampled all through the relaunch: the device first, then the config, so a config read that names the old
    // ifindex after the device was seen gone or new is one the kernel held with the device gone.
    const stale: string[] = [];
    let samples = 0;
    let afterDelete = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const dev = await deviceIfindex();
        const cfg = await configIfindex().catch(() => -1);
        samples++;
        if (dev !== old) afterDelete++;
        if (dev !== old && cfg === old) stale.push(`device ${dev || 'gone'}, config ${cfg}`);
      }
    })();
    let fresh = 0;
    try {
      const r = await xnet(['--lab', 'h1', 'launch', '--mtu', '1400', '--json']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      fresh = await deviceIfindex();
      expect(fresh, 'the relaunch made the device anew').not.toBe(old);
      await eventually('the fast path on the new device', configIfindex, (i) => i === fresh, 10_000);
    } finally {
      sampling = false;
      await sampler;
    }
    const report = `${samples} samples, ${afterDelete} after the delete: ${stale.join('; ')}`;
    expect(afterDelete, report).toBeGreaterThan(0);
    expect(stale, report).toEqual([]);
    expect(ping('h1', 'c1', C2)).toBe(true);
  }, 120_000);
});
