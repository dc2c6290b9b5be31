// What the rest of the agent sees of the router through mesh.ts: attach's view (the bridge, the address
// table), and the status of a router that is not running. The lifecycle itself stays in mesh.ts.
import type { LaunchSettings, RouterDriver, RouterStatus } from '../router/driver.js';
import type { AttachRouter } from './attach-steps.js';

/**
 * What attach asks of the router: the bridge to plug into, who holds an address, its IPAM when it has one.
 * `running` is the driver now, `forAttach` the one attach plugs into (a stopped Weave host's too);
 * claims and releases are router changes (`changing`: status read anew).
 */
export function attachRouter(m: {
  running: () => RouterDriver | undefined;
  forAttach: () => RouterDriver | undefined;
  changing: (change: () => Promise<void>) => Promise<void>;
}): AttachRouter {
  return {
    point: () => {
      const p = m.forAttach()?.attachPoint();
      return p && { bridge: p.bridge, netns: p.netns ?? null };
    },
    owner: (address) => m.running()?.addressOwner(address) ?? Promise.resolve(undefined),
    changed: () => m.running()?.attachmentsChanged?.(),
    clashes: () => m.running()?.clashes?.() ?? [],
    claim: (containerId, cidrs) =>
      m.changing(async () => {
        await m.forAttach()?.claim?.(containerId, cidrs);
      }),
    release: (containerId, cidrs) =>
      m.changing(async () => {
        await m.forAttach()?.release?.(containerId, cidrs);
      }),
  };
}

/** The status of a router stopped (or never launched): what the saved settings say, nothing live. */
export function stoppedStatus(
  settings: LaunchSettings | undefined,
  bridge: { name: string; netns: string | null },
): RouterStatus {
  return {
    driver: settings?.driver ?? null,
    state: settings ? 'stopped' : 'not-launched',
    nickname: settings?.nickname ?? null,
    name: null,
    listen: settings?.listen ?? null,
    range: settings?.range ?? null,
    encrypted: Boolean(settings?.passwordFile),
    bridge: { ...bridge, mtu: null },
    underlayMtu: null,
    peers: [],
    connections: [],
    warnings: [],
  };
}
