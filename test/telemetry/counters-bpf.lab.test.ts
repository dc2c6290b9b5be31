import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../../src/agent/client.js';
import { ensureBpffs, writeConfig, writeLanTable, type Pins } from '../../src/telemetry/bpf/kernel.js';
import { localKeyBytes, localLines, readLocal, writeLocal } from '../../src/telemetry/bpf/local-table.js';
import { routeContains } from '../../src/net/cidr.js';
import {
  keyBytes,
  parseBatchParts,
  parseDump,
  rowsParts,
  type Table,
} from '../../src/telemetry/bpf/table.js';
import { MapReader } from '../../src/net/mapread.js';
import { PROTOCOLS } from '../../src/telemetry/frame.js';
import { readPcap } from '../helpers/pcapfile.js';

// The built classifier itself (needs root and bpffs, no lab), run by the kernel (BPF_PROG_TEST_RUN, `bpftool
// prog run`) on the real frames of fixtures/ that tcpdump counted into expected.json: the same packets, bytes
// and protocol split, per peer on the underlay. The kernel hands a test run a linear skb, so the programs read
// the headers in place; the same source built with XNET_COPY_ONLY reads them with bpf_skb_load_bytes only (its
// path for a non-linear head) and must count the same frames alike.
const fixtures = join(import.meta.dirname, 'fixtures');
const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8'));
const built = join(dirname(CLI_MAIN), '..', 'telemetry', 'bpf', 'counters.bpf.o');
/** The agent's map reader, built beside it (scripts/build-bpf.sh). */
const mapread = join(dirname(CLI_MAIN), '..', 'net', 'bpf', 'xnet-mapread');
const source = join(import.meta.dirname, '..', '..', 'src', 'telemetry', 'bpf', 'counters.bpf.c');
const work = mkdtempSync(join(tmpdir(), 'xnet-bpf-'));
const bpftool = (...args: string[]) => execFileSync('bpftool', args, { encoding: 'utf8' });
const TC_ACT_OK = 0;
const TC_ACT_REDIRECT = 7;

/** The fallback alone: named counters.bpf.o too, since libbpf names the .bss map after the object file. */
function copyOnlyObject(): string {
  const out = join(work, 'copy-only', 'counters.bpf.o');
  execFileSync('mkdir', ['-p', dirname(out)]);
  const arch = `/usr/include/${execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim()}-linux-gnu`;
  const flags = ['-O2', '-g', '-Wall', '-Werror', '-target', 'bpf', '-DXNET_COPY_ONLY', '-I', arch];
  execFileSync('clang', [...flags, '-c', source, '-o', out]);
  return out;
}

describe.each([
  ['in place (built object)', () => built],
  ['copied with bpf_skb_load_bytes (XNET_COPY_ONLY)', copyOnlyObject],
])('the eBPF counters on real frames, against tcpdump: headers read %s', (name, object) => {
  const root = `/sys/fs/bpf/xnet/test-${process.pid}-${name.startsWith('in') ? 'direct' : 'copy'}`;

  /**
   * Runs one program on every frame of a capture, each padded to its length on the wire (the capture cut it
   * at 128 bytes): one `bpftool batch` for them all, so a loaded machine does not start a process per frame.
   */
  function runOn(prog: string, file: string): void {
    const lines = readPcap(join(fixtures, file)).map((r, i) => {
      const frame = Buffer.alloc(r.len);
      r.data.copy(frame);
      const path = join(work, `f${i}`);
      writeFileSync(path, frame);
      return `prog run pinned ${root}/progs/${prog} data_in ${path}`;
    });
    execFileSync('bpftool', ['batch', 'file', '-'], { input: lines.join('\n') + '\n', encoding: 'utf8' });
  }

  const dump = (): Table => parseDump(bpftool('-j', 'map', 'dump', 'pinned', `${root}/maps/xnet_counters`));
  const clear = () => {
    for (const e of dump().values())
      bpftool('map', 'delete', 'pinned', `${root}/maps/xnet_counters`, 'key', ...keyBytes(e.key).map(String));
  };
  const pins = { config: `${root}/maps/counters_bss`, local: `${root}/maps/xnet_local` } as Pins;
  /** The tunnel port, in the object's global (its .bss map), as the agent writes it. */
  const setPort = (port: number) => writeConfig(pins, { tunnelPort: port });

  /** One frame through a program; its return value (0 TC_ACT_OK, 7 TC_ACT_REDIRECT). */
  const runFrame = (prog: string, frame: Buffer): number => {
    const path = join(work, `frame-${prog}`);
    writeFileSync(path, frame);
    const out = bpftool('-j', 'prog', 'run', 'pinned', `${root}/progs/${prog}`, 'data_in', path);
    return (JSON.parse(out) as { retval: number }).retval;
  };
  /** An Ethernet frame to `dst` holding an IPv4 ICMP header: what a ping leaves a container as. */
  const frameTo = (dst: string): Buffer => {
    const f = Buffer.alloc(98);
    Buffer.from(localKeyBytes(dst).slice(0, 6)).copy(f, 0);
    Buffer.from(localKeyBytes(SRC).slice(0, 6)).copy(f, 6);
    f.writeUInt16BE(0x0800, 12);
    f.writeUInt8(0x45, 14);
    f.writeUInt16BE(84, 16);
    f.writeUInt8(64, 22);
    f.writeUInt8(1, 23); // ICMP
    return f;
  };
  const SRC = '0e:00:00:00:00:01';
  const LOCAL = '0e:00:00:00:00:02';
  const REMOTE = '0e:00:00:00:00:03';
  const BRIDGE = 'be:ef:00:00:00:01';

  beforeAll(async () => {
    await ensureBpffs();
    execFileSync('mkdir', ['-p', `${root}/maps`]);
    bpftool('prog', 'loadall', object(), `${root}/progs`, 'type', 'classifier', 'pinmaps', `${root}/maps`);
    await setPort(4789);
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it("counts a veth's frames and their protocols as tcpdump does", () => {
    clear();
    runOn('veth_ingress', 'bridge.pcap');
    const entries = [...dump().values()];
    expect(entries.every((e) => e.key.dir === 0 && e.key.peer === '')).toBe(true);
    const sum = (pred: (p: number) => boolean) =>
      entries
        .filter((e) => pred(e.key.proto))
        .reduce((a, e) => ({ packets: a.packets + e.value.packets, bytes: a.bytes + e.value.bytes }), {
          packets: 0,
          bytes: 0,
        });
    const e = expected.bridge;
    expect(sum(() => true)).toEqual(e.all);
    for (const p of ['tcp', 'udp', 'icmp', 'arp'] as const)
      expect(
        sum((x) => PROTOCOLS[x] === p),
        p,
      ).toEqual(e[p]);
  });

  it('counts the underlay per outer peer address and by the protocol inside VXLAN', () => {
    clear();
    runOn('underlay_ingress', 'underlay.pcap');
    const entries = [...dump().values()];
    const sum = (pred: (peer: string, proto: number) => boolean) =>
      entries
        .filter((e) => pred(e.key.peer, e.key.proto))
        .reduce((a, e) => ({ packets: a.packets + e.value.packets, bytes: a.bytes + e.value.bytes }), {
          packets: 0,
          bytes: 0,
        });
    const e = expected.underlay;
    // On ingress the peer is the outer source: the peer's own frames, and (here) this host's as their source.
    expect(sum((peer) => peer === e.peer)).toEqual(e.fromPeer);
    expect(sum((peer) => peer !== e.peer)).toEqual(e.toPeer);
    for (const p of ['tcp', 'udp', 'icmp', 'arp'] as const)
      expect(
        sum((_, x) => PROTOCOLS[x] === p),
        p,
      ).toEqual(e[p]);
  });

  it('reads the same counters with xnet-mapread as with bpftool, hash and slots, summed over the CPUs', async () => {
    clear();
    runOn('underlay_ingress', 'underlay.pcap');
    const counters = `${root}/maps/xnet_counters`;
    const veths = `${root}/maps/xnet_veths`;
    // Slot 3 holds a different number in every word (bpftool writes the value to every CPU's copy).
    const value = Buffer.alloc(240);
    for (let w = 0; w < 30; w++) value.writeBigUInt64LE(BigInt(1000 + w * 7), w * 8);
    bpftool('map', 'update', 'pinned', veths, 'key', '3', '0', '0', '0', 'value', ...[...value].map(String));
    const slots = new Map([
      [3, 41],
      [5, 43],
    ]);
    const lookup = (slot: number) => `map lookup pinned ${veths} key ${slot} 0 0 0`;
    const json = execFileSync('bpftool', ['-j', 'batch', 'file', '-'], {
      input: [`map dump pinned ${counters}`, lookup(3), lookup(5)].join('\n') + '\n',
      encoding: 'utf8',
    });
    const viaBpftool = parseBatchParts(JSON.parse(json), slots);
    const reader = new MapReader(mapread);
    try {
      const answers = await reader.run([`sum ${counters}`, `get ${veths} 03000000`, `get ${veths} 05000000`]);
      const viaReader = rowsParts(answers, slots);
      expect(viaBpftool.hash.size).toBeGreaterThan(0);
      expect(viaReader).toEqual(viaBpftool);
      // Slot 3's first row: its word 0 on each CPU, summed (so the CPUs were added, not one of them taken).
      const cpus = viaBpftool.slotRows.get(3)![0]!.value.packets / 1000;
      expect(cpus).toBeGreaterThanOrEqual(1);
      expect(Number.isInteger(cpus)).toBe(true);
      // A failed command fails its request only; the next request is answered in step.
      await expect(reader.run([`sum ${root}/maps/none`, `get ${veths} 03000000`])).rejects.toThrow(/none/);
      expect((await reader.run([`get ${veths} 03000000`]))[0]![0]!.words[1]).toBe(1007 * cpus);
    } finally {
      reader.close();
    }
  });

  it("counts a LAN port's frames by the label of the other end's prefix, longest first (bridge driver)", async () => {
    const pins = { lan: `${root}/maps/xnet_lan` } as Pins;
    const table = [
      { cidr: '172.25.11.0/24', label: '172.25.11.0' },
      { cidr: '172.25.11.23/32', label: '172.25.11.23' },
      { cidr: '10.0.0.0/8', label: '10.0.0.1' }, // matched by nothing here, then dropped by the rewrite
    ];
    await writeLanTable(pins, table);
    await writeLanTable(pins, table.slice(0, 2));
    const lan = JSON.parse(bpftool('-j', 'map', 'dump', 'pinned', pins.lan)) as unknown[];
    expect(lan).toHaveLength(2);
    // What the other end is, read from tcpdump's own frames: the destination of what the container sent
    // (ingress), the source of what it got (egress); ARP's target and sender; nothing for IPv6.
    const labelOf = (f: Buffer, dir: 'ingress' | 'egress'): string => {
      const ip = (at: number) => [...f.subarray(at, at + 4)].join('.');
      const type = f.readUInt16BE(12);
      const addr =
        type === 0x0800
          ? ip(dir === 'ingress' ? 30 : 26)
          : type === 0x0806
            ? ip(dir === 'ingress' ? 38 : 28)
            : '';
      if (!addr) return '';
      return addr === '172.25.11.23' ? addr : routeContains('172.25.11.0/24', addr) ? '172.25.11.0' : '';
    };
    for (const dir of ['ingress', 'egress'] as const) {
      clear();
      runOn(`port_${dir}`, 'bridge.pcap');
      const want = new Map<string, number>();
      for (const r of readPcap(join(fixtures, 'bridge.pcap'))) {
        const l = labelOf(r.data, dir);
        want.set(l, (want.get(l) ?? 0) + 1);
      }
      const got = new Map<string, number>();
      for (const e of dump().values()) got.set(e.key.peer, (got.get(e.key.peer) ?? 0) + e.value.packets);
      expect(got, dir).toEqual(want);
      expect(want.size, dir).toBe(3); // each label has frames: the test tells them apart
    }
  });

  it('counts nothing on the underlay when no tunnel port is set', async () => {
    clear();
    await setPort(0);
    runOn('underlay_ingress', 'underlay.pcap');
    expect(dump().size).toBe(0);
    await setPort(4789);
  });

  it("fast path: a veth's ingress counts as before and sends only unicast for a MAC not local to the tunnel", async () => {
    // With no tunnel set, fast_ingress is veth_ingress: the same counts, every frame left to the bridge.
    clear();
    runOn('fast_ingress', 'bridge.pcap');
    const entries = [...dump().values()];
    const total = entries.reduce(
      (a, e) => ({ packets: a.packets + e.value.packets, bytes: a.bytes + e.value.bytes }),
      {
        packets: 0,
        bytes: 0,
      },
    );
    expect(total).toEqual(expected.bridge.all);
    await writeLocal(
      localLines(pins, new Map(), [
        { mac: LOCAL, ifindex: 0, slot: 0 },
        { mac: BRIDGE, ifindex: 0, slot: 0 },
      ]),
    );
    expect(runFrame('fast_ingress', frameTo(REMOTE))).toBe(TC_ACT_OK); // no tunnel yet
    await writeConfig(pins, { tunnelIfindex: 4242 });
    try {
      expect(runFrame('fast_ingress', frameTo(REMOTE))).toBe(TC_ACT_REDIRECT);
      expect(runFrame('fast_ingress', frameTo(LOCAL))).toBe(TC_ACT_OK);
      expect(runFrame('fast_ingress', frameTo(BRIDGE))).toBe(TC_ACT_OK);
      expect(runFrame('fast_ingress', frameTo('ff:ff:ff:ff:ff:ff'))).toBe(TC_ACT_OK);
      expect(runFrame('fast_ingress', frameTo('33:33:00:00:00:01'))).toBe(TC_ACT_OK);
    } finally {
      await writeConfig(pins, { tunnelIfindex: 0 });
    }
  });

  it("fast path: the tunnel's ingress sends a local container's frames into it, counted once in its slot", async () => {
    const slot = 7;
    await writeLocal(
      localLines(pins, await readLocal(pins), [
        { mac: LOCAL, ifindex: 42, slot },
        { mac: SRC, ifindex: 43, slot: 0 }, // a veth counting in the hash (no slot was free)
        { mac: BRIDGE, ifindex: 0, slot: 0 },
      ]),
    );
    await writeConfig(pins, { tunnelIfindex: 4242 });
    const slotPackets = () => {
      const v = JSON.parse(
        bpftool(
          '-j',
          'map',
          'lookup',
          'pinned',
          `${root}/maps/xnet_veths`,
          'key',
          String(slot),
          '0',
          '0',
          '0',
        ),
      ) as { formatted: { values: { value: { c: { packets: number }[][] } }[] } };
      return v.formatted.values.reduce(
        (n, cpu) => n + cpu.value.c[1]![PROTOCOLS.indexOf('icmp')]!.packets,
        0,
      );
    };
    try {
      const before = slotPackets();
      expect(runFrame('tunnel_ingress', frameTo(LOCAL))).toBe(TC_ACT_REDIRECT);
      expect(slotPackets()).toBe(before + 1); // egress (what the container receives), ICMP
      clear();
      expect(runFrame('tunnel_ingress', frameTo(SRC))).toBe(TC_ACT_REDIRECT);
      // In the hash under its veth's ifindex (not the tunnel's, which the skb is on), as its egress would.
      expect([...dump().values()].map((e) => [e.key.ifindex, e.key.dir, e.value.packets])).toEqual([
        [43, 1, 1],
      ]);
      expect(runFrame('tunnel_ingress', frameTo(BRIDGE))).toBe(TC_ACT_OK);
      expect(runFrame('tunnel_ingress', frameTo(REMOTE))).toBe(TC_ACT_OK);
      expect(runFrame('tunnel_ingress', frameTo('ff:ff:ff:ff:ff:ff'))).toBe(TC_ACT_OK);
      expect(slotPackets()).toBe(before + 1);
      await writeConfig(pins, { tunnelIfindex: 0 }); // no tunnel: the bridge carries everything
      expect(runFrame('tunnel_ingress', frameTo(LOCAL))).toBe(TC_ACT_OK);
    } finally {
      await writeConfig(pins, { tunnelIfindex: 0 });
    }
  });
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});
