import type { Pins } from './kernel.js';
import { bpftool } from '../../net/bpftool-session.js';
import { KeyedQueue } from '../../passes.js';

/**
 * The programs' settings (counters.bpf.c's `xnet_config`, one struct in the object's .bss, pinned as
 * `maps/counters_bss`): the agent writes them through its bpftool session; the programs read each with one load.
 * counters.bpf.c's `struct config`, as the agent sets it: */
export interface Config {
  tunnelPort: number;
  /** The VXLAN device's ifindex in the overlay namespace; 0: no fast path. */
  tunnelIfindex: number;
  /** FAST_* of counters.bpf.c (bench only: the product leaves them 0). */
  flags: number;
}
const CONFIG_FIELDS: (keyof Config)[] = ['tunnelPort', 'tunnelIfindex', 'flags'];
/** The bss map's one key (a 4-byte 0). */
const KEY = 'key 0 0 0 0';

/**
 * Each pinned config's writes, one after another: the bss is one value, read then written whole (bpftool has no
 * write of part of a value), so two at once would each read it and the later write would undo the other's field.
 */
const writes = new KeyedQueue<string>();

/** Changes some fields of the pinned config and keeps the others, after any write to it already asked for. */
export function writeConfig(p: Pins, patch: Partial<Config>): Promise<void> {
  return writes.run(p.config, () => patchConfig(p, patch));
}

async function patchConfig(p: Pins, patch: Partial<Config>): Promise<void> {
  const session = bpftool();
  const had = await session.one<{ value: string[] }>(`map lookup pinned ${p.config} ${KEY}`);
  const value = Buffer.from(had.value.map((b) => Number(b)));
  CONFIG_FIELDS.forEach((f, i) => {
    const v = patch[f];
    if (v !== undefined) value.writeUInt32LE(v, i * 4);
  });
  await session.write([`map update pinned ${p.config} ${KEY} value ${[...value].join(' ')}`]);
}
