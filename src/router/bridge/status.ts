import { run } from '../../net/exec.js';
import { inNetns, type NetnsPath } from '../../net/netns.js';
import type { PeerStatus } from '../driver.js';
import type { SerfMember } from '../serf/rpc.js';
import { parseFpingC } from '../vxlan/probe.js';

const PROBE_EVERY_MS = 3_000;

export interface Member {
  name: string;
  address: string;
  nickname: string;
  /** the docker slice its tag announces */
  subnet: string | null;
  status: SerfMember['status'];
}

export function toMember(m: SerfMember): Member {
  return {
    name: m.name,
    address: m.tags.addr ?? m.addr,
    nickname: m.tags.nick ?? '',
    subnet: m.tags.subnet ?? null,
    status: m.status,
  };
}

interface Probe {
  rttMs: number | null;
  at: string;
}

/**
 * Data-plane truth on a flat LAN: an echo straight to each member's LAN address, the path containers take too
 * (no tunnel in between). One fping for all members every few seconds; status reads the last answers.
 */
export class LanProbes {
  #timer: NodeJS.Timeout | undefined;
  #last = new Map<string, Probe>();

  constructor(private readonly netns: NetnsPath) {}

  start(targets: () => string[]): void {
    this.stop();
    const tick = async (): Promise<void> => {
      const list = targets();
      if (list.length === 0) return;
      const [file, argv] = inNetns(this.netns, 'fping', ['-4', '-q', '-C', '1', '-t', '700', ...list]);
      // fping exits non-zero when any target is silent; its per-target lines (stderr) are what count.
      const out = await run(file, argv, { timeoutMs: 8_000 }).catch((e: { stderr?: string }) => ({
        stdout: '',
        stderr: e.stderr ?? '',
      }));
      const at = new Date().toISOString();
      for (const r of parseFpingC(out.stderr)) this.#last.set(r.target, { rttMs: r.rttMs, at });
    };
    void tick();
    this.#timer = setInterval(() => void tick(), PROBE_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get(address: string): Probe | undefined {
    return this.#last.get(address);
  }
}

export function peersOf(members: readonly Member[], self: string, probes: LanProbes): PeerStatus[] {
  return members.map((m) => {
    const isSelf = m.address === self;
    const p = probes.get(m.address);
    return {
      name: m.name,
      nickname: m.nickname,
      address: m.address,
      gossip: m.status,
      dataPlane: {
        state: isSelf ? 'reachable' : !p ? 'unknown' : p.rttMs !== null ? 'reachable' : 'unreachable',
        rttMs: isSelf ? 0 : (p?.rttMs ?? null),
        detail: isSelf
          ? 'this host'
          : !p
            ? 'not probed yet'
            : p.rttMs !== null
              ? `echo across the LAN${m.subnet ? `; its slice ${m.subnet}` : ''}`
              : `no echo reply from ${m.address} on the LAN`,
        checkedAt: p?.at ?? null,
      },
      self: isSelf,
      probeAddress: m.address,
      subnet: m.subnet,
    };
  });
}
