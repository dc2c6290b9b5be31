import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig, type Config } from '../../src/telemetry/bpf/config.js';
import { ensureBpffs, type Pins } from '../../src/telemetry/bpf/kernel.js';
import { closeBpftoolSessions } from '../../src/net/bpftool-session.js';

// The programs' config through the agent's bpftool session, on a real pinned array map of the bss's shape (one
// value of three u32s; needs root and bpffs, no lab): writes asked for at once each keep the others' fields.
const root = `/sys/fs/bpf/xnet/test-config-${process.pid}`;
const pins = { config: `${root}/config` } as Pins;

/** The config as a separate bpftool sees it. */
function seen(): Config {
  const out = execFileSync(
    'bpftool',
    ['-j', 'map', 'lookup', 'pinned', pins.config, 'key', '0', '0', '0', '0'],
    {
      encoding: 'utf8',
    },
  );
  const v = Buffer.from((JSON.parse(out) as { value: string[] }).value.map((b) => Number(b)));
  return { tunnelPort: v.readUInt32LE(0), tunnelIfindex: v.readUInt32LE(4), flags: v.readUInt32LE(8) };
}

describe('writeConfig: the bss written whole, one field at a time', () => {
  beforeAll(async () => {
    await ensureBpffs();
    mkdirSync(root, { recursive: true });
    execFileSync('bpftool', [
      'map',
      'create',
      pins.config,
      'type',
      'array',
      'key',
      '4',
      'value',
      '12',
      'entries',
      '1',
      'name',
      'xnet_test_cfg',
    ]);
  });
  afterAll(() => {
    closeBpftoolSessions();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps every field of writes asked for at once', async () => {
    for (const round of [1, 2, 3]) {
      await Promise.all([
        writeConfig(pins, { tunnelPort: 4789 + round }),
        writeConfig(pins, { tunnelIfindex: 40 + round }),
        writeConfig(pins, { flags: round }),
      ]);
      expect(seen()).toEqual({ tunnelPort: 4789 + round, tunnelIfindex: 40 + round, flags: round });
    }
  });

  it('runs the writes after a failed one, in the order asked: the later of two to one field wins', async () => {
    const [bad, port, first, second] = [
      writeConfig(pins, { flags: -1 }), // not a u32: fails after its read, before its write
      writeConfig(pins, { tunnelPort: 8472 }),
      writeConfig(pins, { tunnelIfindex: 7 }),
      writeConfig(pins, { tunnelIfindex: 0 }),
    ];
    await expect(bad).rejects.toThrow(RangeError);
    await Promise.all([port, first, second]);
    expect(seen()).toEqual({ tunnelPort: 8472, tunnelIfindex: 0, flags: 3 });
  });
});
