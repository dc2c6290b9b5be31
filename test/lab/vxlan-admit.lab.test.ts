import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CLI_MAIN } from '../../src/agent/client.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NETNS_PREFIX } from '../../src/lab/layout.js';
import { closeBpftoolSessions } from '../../src/net/bpftool-session.js';
import { namedNetns } from '../../src/net/overlay.js';
import { VxlanFilter, type AdmitMode } from '../../src/net/vxlan-admit.js';
import { admitKey, admitPinsFor, admittedIn } from '../../src/net/vxlan-admit-bpf.js';
import { pinned } from '../../src/net/bpffs.js';
import { useMapReader } from '../../src/net/mapread.js';
import { AdmissionPasses } from '../../src/router/vxlan/admission.js';

// The VXLAN admission on real kernel parts, no agent: a host namespace (`A`) with its underlay veth, two
// senders on the underlay (a member `M` and an outsider `O`), the real program on tc and the real chain.
// UDP to 4789 from each sender is counted by the chain's rules: RETURN (let through) or DROP.
const A = `${NETNS_PREFIX}adm-a`;
const M = `${NETNS_PREFIX}adm-m`;
const O = `${NETNS_PREFIX}adm-o`;
const W = `${NETNS_PREFIX}adm-w`;
const ADDR = { a: '198.18.0.231', m: '198.18.0.232', o: '198.18.0.233' };
const PORT = 4789;
/** The program as `npm run build` made it (this test runs from src/). */
const OBJECT = join(dirname(CLI_MAIN), '..', 'net', 'bpf', 'admit.bpf.o');
/** The agent's map reader as built beside it; the same tests run with it and with the bpftool session. */
const MAPREAD = join(dirname(CLI_MAIN), '..', 'net', 'bpf', 'xnet-mapread');

const sh = (file: string, args: string[]): string =>
  execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inA = (file: string, args: string[]): string =>
  sh('nsenter', [`--net=${namedNetns(A)}`, '--', file, ...args]);
const quiet = (f: () => unknown): void => {
  try {
    f();
  } catch {
    // not there
  }
};

/** Sends `n` UDP datagrams to A's port from namespace `ns` (bash's /dev/udp: one process, no tool needed). */
const send = (ns: string, n = 3): void => {
  const line = `for i in $(seq ${n}); do echo x > /dev/udp/${ADDR.a}/${PORT}; done`;
  sh('ip', ['netns', 'exec', ns, 'bash', '-c', line]);
};

/** The chain's counters: packets let through (RETURN) and dropped (DROP), all rules summed by verdict. */
const counts = (): { through: number; dropped: number } => {
  const out = { through: 0, dropped: 0 };
  for (const l of inA('iptables', ['-w', '5', '-S', 'XNET-VXLAN', '-v']).split('\n')) {
    const m = /-c (\d+) \d+.*-j (RETURN|DROP)/.exec(l);
    if (m) out[m[2] === 'RETURN' ? 'through' : 'dropped'] += Number(m[1]);
  }
  return out;
};

/** What each of M and O gets through: the chain's counters before and after three datagrams from it. */
const passes = (ns: string): 'through' | 'dropped' => {
  const before = counts();
  send(ns);
  const after = counts();
  if (after.through - before.through === 3 && after.dropped === before.dropped) return 'through';
  if (after.dropped - before.dropped === 3 && after.through === before.through) return 'dropped';
  throw new Error(`neither: ${JSON.stringify({ before, after })}`);
};

describe.each([
  ['xnet-mapread', MAPREAD],
  ['the bpftool session', null],
])(
  'VXLAN admission, the map written with %s: eBPF marks members on the underlay, the chain lets marked packets through',
  (_, reader) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'xnet-admit-'));
    const pins = admitPinsFor(stateDir);
    const filter = (mode?: AdmitMode): VxlanFilter =>
      new VxlanFilter({
        netns: namedNetns(A),
        port: PORT,
        pins,
        log: () => undefined,
        object: OBJECT,
        ...(mode ? { mode } : {}),
      });
    const mapped = (): string[] =>
      admittedIn(JSON.parse(sh('bpftool', ['-j', 'map', 'dump', 'pinned', pins.map])) as never, PORT).sort();
    let f: VxlanFilter;

    beforeAll(() => {
      useMapReader(reader);
      for (const n of [A, M, O, W]) {
        quiet(() => sh('ip', ['netns', 'del', n]));
        sh('ip', ['netns', 'add', n]);
      }
      // The wire: a bridge in a namespace of its own (in A, its own device would answer ARP for A's address and
      // take the packets past eth0). A's eth0 and each sender's up0 are veths to it.
      const inW = (args: string[]) => sh('ip', ['-n', W, ...args]);
      inW(['link', 'add', 'wire', 'type', 'bridge']);
      inW(['link', 'set', 'wire', 'up']);
      for (const [ns, addr, port, dev] of [
        [A, ADDR.a, 'a-port', 'eth0'],
        [M, ADDR.m, 'm-port', 'up0'],
        [O, ADDR.o, 'o-port', 'up0'],
      ] as const) {
        inW(['link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', namedNetns(ns)]);
        inW(['link', 'set', port, 'master', 'wire', 'up']);
        sh('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
        sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      }
    });

    beforeEach(() => {
      f = filter();
    });

    afterAll(async () => {
      await f?.remove('eth0').catch(() => undefined);
      closeBpftoolSessions();
      useMapReader(undefined);
      for (const n of [A, M, O, W]) quiet(() => sh('ip', ['netns', 'del', n]));
      rmSync(pins.root, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    });

    it('admits a member with one map write; an outsider is dropped by the chain', async () => {
      expect(await f.admit([ADDR.m], 'eth0')).toBe(true);
      expect(f.mode).toBe('ebpf');
      expect(mapped()).toEqual([ADDR.m]);
      expect(inA('iptables', ['-S', 'XNET-VXLAN'])).not.toContain(ADDR.m); // the chain names no member
      expect(passes(M)).toBe('through');
      expect(passes(O)).toBe('dropped');
      // The same members again change nothing; the outsider joins: a map write, the chain as it was.
      expect(await f.admit([ADDR.m], 'eth0')).toBe(false);
      const chain = inA('iptables', ['-S', 'XNET-VXLAN']);
      expect(await f.admit([ADDR.m, ADDR.o], 'eth0')).toBe(true);
      expect(inA('iptables', ['-S', 'XNET-VXLAN'])).toBe(chain);
      expect(passes(O)).toBe('through');
      // And leaves again.
      expect(await f.admit([ADDR.m], 'eth0')).toBe(true);
      expect(passes(O)).toBe('dropped');
      expect(passes(M)).toBe('through');
    });

    it('a new agent finds the map and chain as the last one left them: no write, and a departure still goes', async () => {
      await filter().admit([ADDR.m, ADDR.o], 'eth0');
      // beforeEach's `f` is the restarted agent's: what is installed is read, and nothing written.
      expect(await f.admit([ADDR.m, ADDR.o], 'eth0')).toBe(false);
      expect(await f.admit([ADDR.m], 'eth0')).toBe(true);
      expect(mapped()).toEqual([ADDR.m]);
      expect(passes(O)).toBe('dropped');
    });

    it('fails closed: with our program off the underlay, a member is dropped too; the next recheck puts it back', async () => {
      await f.admit([ADDR.m], 'eth0');
      inA('tc', ['filter', 'del', 'dev', 'eth0', 'ingress', 'pref', '48']);
      expect(passes(M)).toBe('dropped');
      expect((await f.admission())?.admitted).toEqual([]); // status says none gets through
      // Without a recheck the agent trusts what it wrote; the driver asks for one every 30 s.
      expect(await f.admit([ADDR.m], 'eth0')).toBe(false);
      expect(passes(M)).toBe('dropped');
      f.recheck();
      await f.admit([ADDR.m], 'eth0');
      expect(passes(M)).toBe('through');
      expect((await f.admission())?.admitted).toEqual([ADDR.m]);
      // A member's entry someone deleted is written again by the next recheck.
      sh('bpftool', ['map', 'delete', 'pinned', pins.map, 'key', ...admitKey(ADDR.m, PORT).map(String)]);
      expect(passes(M)).toBe('dropped');
      f.recheck();
      expect(await f.admit([ADDR.m], 'eth0')).toBe(true);
      expect(passes(M)).toBe('through');
    });

    it('switches to the chain of members and back (eBPF unavailable, then available) without dropping a member', async () => {
      await f.admit([ADDR.m], 'eth0');
      const chained = filter('iptables');
      expect(await chained.admit([ADDR.m], 'eth0')).toBe(true);
      expect(inA('iptables', ['-S', 'XNET-VXLAN'])).toContain(`-s ${ADDR.m}/32 -j RETURN`);
      expect(passes(M)).toBe('through');
      expect(passes(O)).toBe('dropped');
      expect(await filter().admit([ADDR.m], 'eth0')).toBe(true); // back to the mark
      expect(inA('iptables', ['-S', 'XNET-VXLAN'])).toContain('-m mark --mark 0x200000/0x200000');
      expect(passes(M)).toBe('through');
    });

    it('remove (stop) takes the chain, the jump, the program and its pins away: UDP 4789 is not ours to filter', async () => {
      await f.admit([ADDR.m], 'eth0');
      await f.remove('eth0');
      expect(inA('iptables', ['-S'])).not.toContain('XNET-VXLAN');
      expect(inA('tc', ['filter', 'show', 'dev', 'eth0', 'ingress'])).not.toContain('admit_ingress');
      expect(await pinned(pins.root)).toBe(false);
    });

    // With the program's object (eBPF), and without (src/ has none: the fallback, the chain of members).
    it.each([
      ['ebpf', OBJECT],
      ['iptables', join(tmpdir(), 'no-such-object.o')],
    ] as const)(
      '%s: an IPv6 member is not admitted, logged once, and no retry loop',
      async (mode, object) => {
        const log: string[] = [];
        let running = true;
        const dir = mkdtempSync(join(tmpdir(), 'xnet-admit6-'));
        // The driver's passes, as the agent runs them (eBPF where its object loads, else the chain of members).
        const a = new AdmissionPasses({
          netns: namedNetns(A),
          stateDir: dir,
          log: (m) => log.push(m),
          dev: () => 'eth0',
          running: () => running,
          object,
        });
        try {
          await a.settle([ADDR.m, 'fd00::232']);
          expect((await a.admission())?.mode).toBe(mode);
          // A failed pass would have been retried each second (main: "not an IPv4 address", or iptables-restore's).
          await new Promise((r) => setTimeout(r, 1_500));
          expect(log.filter((l) => l.includes('retrying'))).toEqual([]);
          expect(log.filter((l) => l.includes('fd00::232'))).toHaveLength(1);
          expect(a.policy()).toMatch(
            /accepted from 1 member address\(es\) only.*; 1 IPv6 member .*: fd00::232$/,
          );
          expect(passes(M)).toBe('through');
          expect(passes(O)).toBe('dropped');
        } finally {
          running = false;
          await a.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  },
);
