import { describe, expect, it } from 'vitest';
import {
  admitCommands,
  admitKey,
  admitLines,
  admittedIn,
  admitPinsFor,
} from '../../src/net/vxlan-admit-bpf.js';
import { pinsFor } from '../../src/telemetry/bpf/kernel.js';

describe('admitKey', () => {
  it("is admit.bpf.c's struct admit_key: the address in network order, the port in host order, padding", () => {
    expect(admitKey('198.18.0.202', 4789)).toEqual([198, 18, 0, 202, 0xb5, 0x12, 0, 0]);
  });

  it('refuses what is not an IPv4 address (the program looks up IPv4 sources only)', () => {
    expect(() => admitKey('fe80::1', 4789)).toThrow(/not an IPv4 address/);
    expect(() => admitKey('198.18.0', 4789)).toThrow(/not an IPv4 address/);
  });
});

describe('admittedIn', () => {
  it("reads addresses back from the key's bytes as `bpftool -j map dump` prints them", () => {
    // What it printed in a lab host admitting 198.18.0.2 and 198.18.0.3 on 4789 (and one on another port).
    const dump = [
      {
        key: ['0xc6', '0x12', '0x00', '0x02', '0xb5', '0x12', '0x00', '0x00'],
        value: ['0x01', '0x00', '0x00', '0x00'],
        formatted: { key: { addr: 33559238, port: 4789, pad: 0 }, value: 1 },
      },
      { key: ['0xc6', '0x12', '0x00', '0x03', '0xb5', '0x12', '0x00', '0x00'] },
      { key: ['0xc6', '0x12', '0x00', '0x04', '0x18', '0x21', '0x00', '0x00'] },
    ];
    expect(admittedIn(dump, 4789)).toEqual(['198.18.0.2', '198.18.0.3']);
    expect(admittedIn(dump, 8472)).toEqual(['198.18.0.4']);
    expect(admittedIn(dump, 4790)).toEqual([]);
  });
});

describe('admitLines', () => {
  const map = '/sys/fs/bpf/xnet/x-admit/maps/xnet_admit';

  it('adds the new members before it deletes the gone ones, and writes nothing for no change', () => {
    const lines = admitLines(
      map,
      4789,
      new Set(['198.18.0.2', '198.18.0.3']),
      new Set(['198.18.0.3', '198.18.0.4']),
    );
    expect(lines).toEqual([
      `map update pinned ${map} key 198 18 0 4 181 18 0 0 value 1 0 0 0`,
      `map delete pinned ${map} key 198 18 0 2 181 18 0 0`,
    ]);
    expect(admitLines(map, 4789, new Set(['198.18.0.3']), new Set(['198.18.0.3']))).toEqual([]);
  });

  it("says the same to xnet-mapread (admitCommands): the key's bytes in hex, the value 1 as a u32", () => {
    expect(
      admitCommands(map, 4789, new Set(['198.18.0.2', '198.18.0.3']), new Set(['198.18.0.3', '198.18.0.4'])),
    ).toEqual([`set ${map} c6120004b5120000 01000000`, `del ${map} c6120002b5120000`]);
    expect(admitCommands(map, 4789, new Set(['198.18.0.3']), new Set(['198.18.0.3']))).toEqual([]);
  });
});

describe('admitPinsFor', () => {
  it("is the agent's own, beside the counters' pins and not inside them (their loader replaces their directory)", () => {
    const p = admitPinsFor('/var/lib/xnet');
    expect(p.root).toBe(`${pinsFor('/var/lib/xnet').root}-admit`);
    expect(p.prog.startsWith(`${p.root}/`)).toBe(true);
    expect(p.map.startsWith(`${p.root}/`)).toBe(true);
    expect(admitPinsFor('/var/lib/xnet-other').root).not.toBe(p.root);
  });
});
