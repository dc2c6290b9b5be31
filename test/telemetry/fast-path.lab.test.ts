import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../../src/agent/client.js';
import { NETNS_PREFIX } from '../../src/lab/layout.js';
import { linkCounters } from '../../src/net/counters.js';
import { containerMac, hostVethName } from '../../src/net/veth.js';
import { ensureBpffs, pinsFor } from '../../src/telemetry/bpf/kernel.js';
import { localKeyBytes, readLocal } from '../../src/telemetry/bpf/local-table.js';
import { closeBpftoolSessions } from '../../src/net/bpftool-session.js';
import { Slots } from '../../src/telemetry/bpf/slots.js';
import type { CountersInput, Link } from '../../src/telemetry/counters-input.js';
import { FastPath } from '../../src/telemetry/fast-path.js';

// FastPath on the built programs' real maps and a namespace of its own (needs root and bpffs, no lab): a bridge
// and two veths standing in for the VXLAN device and a container's host-side veth (tc and the maps take any
// device). The races of the agent, played in a fixed order: an input read, then attach or the driver acts, then
// the tick that input feeds.
const built = join(dirname(CLI_MAIN), '..', 'telemetry', 'bpf', 'counters.bpf.o');
const ns = `${NETNS_PREFIX}fastpath-${process.pid}`;
const netns = `/run/netns/${ns}`;
const stateDir = mkdtempSync(join(tmpdir(), 'xnet-fastpath-'));
const pins = pinsFor(stateDir);
const ip = (...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
const TUNNEL = 'vx0';
const BRIDGE = 'br0';
const id = 'c'.repeat(64);
const veth = hostVethName(id);
const key = localKeyBytes(containerMac(id)).join(' ');

/** The container's entry in the local map as the kernel holds it: [ifindex, slot]; undefined when none. */
async function entry(): Promise<[number, number] | undefined> {
  const v = (await readLocal(pins)).get(key)?.split(' ').map(Number);
  return v && [v[0]! | (v[1]! << 8), v[4]! | (v[5]! << 8)];
}

/** The tunnel ifindex in the programs' config. */
function configIfindex(): number {
  const out = execFileSync(
    'bpftool',
    ['-j', 'map', 'lookup', 'pinned', pins.config, 'key', '0', '0', '0', '0'],
    {
      encoding: 'utf8',
    },
  );
  const v = JSON.parse(out) as {
    formatted: { value: { '.bss': { xnet_config: { tunnel_ifindex: number } }[] } };
  };
  return v.formatted.value['.bss'][0]!.xnet_config.tunnel_ifindex;
}

/** What the counters' tick reads before FastPath.tick: the links now, and the containers `listed`. */
async function read(listed: boolean): Promise<{ input: CountersInput; veths: Map<string, Link> }> {
  const at = Date.now();
  const links = await linkCounters(netns);
  return {
    input: {
      at,
      stopped: null,
      links: [],
      veths: { netns, links },
      containers: listed ? [{ id, hostIfname: veth }] : [],
      fast: { device: TUNNEL, bridge: BRIDGE },
    },
    veths: new Map(links.map((l) => [l.name, l])),
  };
}

/** A veth pair whose other end stays in the namespace too (no dummy module here). */
function plugIn(dev: string): void {
  ip('link', 'add', dev, 'type', 'veth', 'peer', 'name', `${dev.slice(0, 10)}-p`);
  ip('link', 'set', dev, 'up');
}

const ifindexOf = (dev: string): number =>
  (JSON.parse(ip('-j', 'link', 'show', dev)) as { ifindex: number }[])[0]!.ifindex;

describe('FastPath against attach and the driver, on real maps', () => {
  const slots = new Slots();
  const fp = new FastPath(pins, netns);
  const tick = async (r: { input: CountersInput; veths: Map<string, Link> }) =>
    fp.tick(r.input, r.veths, slots);

  beforeAll(async () => {
    await ensureBpffs();
    execFileSync('mkdir', ['-p', `${pins.root}/maps`]);
    execFileSync('bpftool', [
      'prog',
      'loadall',
      built,
      pins.progs,
      'type',
      'classifier',
      'pinmaps',
      `${pins.root}/maps`,
    ]);
    execFileSync('ip', ['netns', 'add', ns]);
    ip('link', 'add', BRIDGE, 'type', 'bridge');
    ip('link', 'set', BRIDGE, 'address', '02:00:00:00:00:aa', 'up');
    plugIn(TUNNEL);
    plugIn(veth);
    slots.take(veth);
    await tick(await read(false));
    expect(configIfindex()).toBe(ifindexOf(TUNNEL));
  });

  afterAll(() => {
    closeBpftoolSessions();
    rmSync(pins.root, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
    execFileSync('ip', ['netns', 'del', ns]);
  });

  it("keeps the MAC attach wrote after the tick's input was read (the container not listed yet)", async () => {
    const before = await read(false);
    await fp.attached(id);
    await tick(before);
    expect(await entry()).toEqual([0, 0]);
    // Attach records the container after its end is up: until then no input lists it, and the entry stays.
    await tick(await read(false));
    expect(await entry()).toEqual([0, 0]);
    await tick(await read(true));
    expect(await entry()).toEqual([ifindexOf(veth), slots.get(veth)]);
  });

  it('never gives a re-plugged container the veth of an input read before the plug', async () => {
    const before = await read(true);
    await fp.attached(id);
    ip('link', 'del', veth);
    plugIn(veth);
    await tick(before);
    expect(await entry()).toEqual([0, 0]);
    await tick(await read(true));
    expect(await entry()).toEqual([ifindexOf(veth), slots.get(veth)]);
  });

  it('keeps a MAC attach writes while a tick runs', async () => {
    const other = 'd'.repeat(64);
    const r = await read(true);
    await Promise.all([tick(r), fp.attached(other)]);
    expect((await readLocal(pins)).get(localKeyBytes(containerMac(other)).join(' '))).toBe('0 0 0 0 0 0 0 0');
  });

  it('leaves the path off when a tick read its links before the driver deleted the tunnel', async () => {
    const before = await read(true);
    await fp.tunnelGoing();
    expect(configIfindex()).toBe(0);
    await tick(before);
    expect(configIfindex()).toBe(0);
    // The same device still there 5 s later is one whose delete failed: the path comes back on.
    await tick({ ...before, input: { ...before.input, at: Date.now() + 5_000 } });
    expect(configIfindex()).toBe(ifindexOf(TUNNEL));
  });
});
