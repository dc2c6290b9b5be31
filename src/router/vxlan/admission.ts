import type { NetnsPath } from '../../net/netns.js';
import { admittable, VxlanFilter, type Admission, type AdmitMode } from '../../net/vxlan-admit.js';
import { admitPinsFor } from '../../net/vxlan-admit-bpf.js';
import { SerialPasses } from '../../passes.js';
import { VXLAN_PORT } from './description.js';
import { dataPlanePolicy } from './table-status.js';

/** A failed pass is tried again after this, while the mesh runs. */
const RETRY_MS = 1_000;
/**
 * How often what is installed is read again (map, hook, chain): an operator's `tc qdisc del` or `iptables -F`
 * is mended within this. Between, what we wrote is what is there.
 */
const VERIFY_EVERY_MS = 30_000;

/** XNET_VXLAN_ADMIT=iptables|ebpf: how members are admitted, forced (the bench's A/B, a test of the fallback). */
export const forcedAdmitMode = (env = process.env.XNET_VXLAN_ADMIT): AdmitMode | undefined =>
  env === 'iptables' || env === 'ebpf' ? env : undefined;

export interface AdmissionDeps {
  netns: NetnsPath;
  stateDir: string;
  log: (msg: string) => void;
  /** The underlay device VXLAN arrives on (undefined before launch). */
  dev: () => string | undefined;
  /** Whether the mesh runs: a failed pass is retried, and the installed state verified, only then. */
  running: () => boolean;
  /** The built admission program (tests, which run from src/, give dist's). */
  object?: string;
}

/**
 * The vxlan driver's admission of members' VXLAN (VxlanFilter), as passes of its own: a membership change sets
 * the addresses and asks for a pass; the pass writes the newest, one at a time, apart from the device's entries.
 */
export class AdmissionPasses {
  readonly #filter: VxlanFilter;
  /** The addresses to admit now; a pass writes the newest. */
  #want: string[] = [];
  /** How many the last good pass admitted; undefined until then (status: not restricted yet). */
  #admitted: number | undefined;
  /** Members the filter cannot admit (IPv6: the admission is IPv4 only), each logged once while it is one. */
  #notAdmitted: string[] = [];
  #verify: NodeJS.Timeout | undefined;
  readonly #passes = new SerialPasses(
    async () => {
      const want = this.#want;
      const dev = this.d.dev();
      if (!dev) throw new Error('no underlay device yet');
      await this.#filter.admit(want, dev);
      this.#admitted = want.length;
    },
    (err) => {
      // Members left out, or one gone still let in, until the next change: try again shortly.
      this.d.log(`VXLAN filter: ${err.message}; retrying in ${RETRY_MS / 1000} s`);
      setTimeout(() => {
        if (this.d.running()) this.#passes.request();
      }, RETRY_MS).unref();
    },
  );

  constructor(private readonly d: AdmissionDeps) {
    this.#filter = new VxlanFilter({
      netns: d.netns,
      port: VXLAN_PORT,
      pins: admitPinsFor(d.stateDir),
      log: d.log,
      mode: forcedAdmitMode(),
      ...(d.object ? { object: d.object } : {}),
    });
  }

  /** Admits exactly these underlay addresses; resolves when a pass that began after the call has ended. */
  settle(addresses: string[]): Promise<void> {
    // An IPv6 member failed every pass (the map's key and the chain are IPv4), retried each second for ever:
    // its packets are not admitted, said once in the log and in status, and the others' pass goes on.
    const { v4, other } = admittable(addresses);
    for (const a of other)
      if (!this.#notAdmitted.includes(a))
        this.d.log(`VXLAN filter: member ${a} not admitted: the VXLAN admission is IPv4 only`);
    this.#notAdmitted = other;
    this.#want = v4;
    this.#verify ??= setInterval(() => {
      if (!this.d.running()) return;
      this.#filter.recheck();
      this.#passes.request();
    }, VERIFY_EVERY_MS).unref();
    return this.#passes.settle();
  }

  /** For the packet path: who gets through, with the program looked for on the device. */
  admission(): Promise<Admission | undefined> {
    return this.#filter.admission();
  }

  /** What the firewall lets in, in the operator's words. */
  policy(): string {
    const policy = dataPlanePolicy(this.#admitted, this.#filter.mode, this.d.dev());
    const n = this.#notAdmitted;
    return n.length === 0
      ? policy
      : `${policy}; ${n.length} IPv6 member address(es) not admitted (IPv4 only): ${n.join(', ')}`;
  }

  /** The agent lets go (close, no stop): what is installed stays for the next agent; only the timer ends. */
  close(): void {
    clearInterval(this.#verify);
    this.#verify = undefined;
  }

  /** The router stops: the passes end, then the chain, the program and its pins go. */
  async stop(): Promise<void> {
    this.close();
    await this.#passes.stop();
    this.#passes.restart();
    await this.#filter.remove(this.d.dev());
    this.#admitted = undefined;
    this.#notAdmitted = [];
  }
}
