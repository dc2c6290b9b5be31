import type { CounterSource, CountersStatus } from '../api/telemetry.js';
import type { NetnsPath } from '../net/netns.js';
import type { Hook } from './bpf/kernel.js';
import type { Slots } from './bpf/slots.js';
import type { Link } from './counters-input.js';
import type { readerHealth } from './health.js';

/** An interface the kernel counter reader hooked (counters.ts), and how it says so in status. Pure. */
export interface Hooked {
  ifindex: number;
  kind: Hook['kind'];
  netns: NetnsPath;
}

/** What a veth's interface counters say now: any frame its hooks count moves one of these. */
export function linkMark(l: Link): string {
  return [l.rxPackets, l.txPackets, l.rxDropped, l.txDropped, l.rxErrors, l.txErrors].join(':');
}

export interface StatusFacts {
  source: CounterSource;
  bpfError: string | null;
  hooked: ReadonlyMap<string, Hooked>;
  slots: Slots;
  port: number;
  /** The fast path past the bridge is on (fast-path.ts). */
  fast: boolean;
}

/** The reader's status: its health, why it counts as it does, and each hook in words. */
export function countersStatus(h: ReturnType<typeof readerHealth>, f: StatusFacts): CountersStatus {
  const reason =
    h.state === 'running' && f.source === 'interface-counters'
      ? `eBPF counters unavailable (${f.bpfError}): totals from each veth's interface counters, no protocol ` +
        'split; the bridge carries every frame (no fast path)'
      : h.reason;
  const slotText = (name: string) => {
    const slot = f.slots.get(name);
    return slot ? `slot ${slot} of the counters' array` : "in the counters' hash: no slot was free";
  };
  const fast = f.fast
    ? "; fast path: its unicast frames for other hosts go straight to the tunnel, and the tunnel's for it straight into its namespace"
    : '';
  return {
    ...h,
    reason,
    hooks: [...f.hooked].map(([name, x]) => ({
      name,
      role: x.kind === 'underlay' ? ('underlay' as const) : ('container' as const),
      ifindex: x.ifindex,
      what:
        x.kind === 'veth'
          ? `ingress+egress of the container's host-side veth (${slotText(name)})${fast}`
          : x.kind === 'port'
            ? "ingress+egress of a container's port on the LAN bridge, by the other end's LAN address"
            : `ingress+egress, UDP port ${f.port}, by outer peer address`,
    })),
  };
}
