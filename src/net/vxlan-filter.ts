import { run } from './exec.js';
import { inNetns, type NetnsPath } from './netns.js';
import { NetnsRunner } from './netns-runner.js';

/**
 * VXLAN has no authentication and this kernel has no ESP, so a mesh password alone closes only the gossip: one
 * FDB entry on an outsider reached a member's containers. As Docker drops unencrypted VXLAN from non-members,
 * UDP to the VXLAN port is accepted only from current members' underlay addresses: a chain of our own, jumped
 * to from INPUT, rewritten whole (iptables-restore, one commit) on every membership change.
 */
export const VXLAN_CHAIN = 'XNET-VXLAN';

function jump(port: number): string[] {
  return ['INPUT', '-p', 'udp', '--dport', String(port), '-j', VXLAN_CHAIN];
}

/** The chain's contents for these members: theirs go on through INPUT, everything else is dropped. Pure. */
export function vxlanChain(members: readonly string[]): string {
  return [
    '*filter',
    // Declared with --noflush, a chain is created if missing and flushed if present: the swap is atomic.
    `:${VXLAN_CHAIN} - [0:0]`,
    ...[...new Set(members)].sort().map((m) => `-A ${VXLAN_CHAIN} -s ${m}/32 -j RETURN`),
    `-A ${VXLAN_CHAIN} -m comment --comment "xnet: VXLAN only from mesh members" -j DROP`,
    'COMMIT',
    '',
  ].join('\n');
}

async function iptables(netns: NetnsPath, args: string[]): Promise<boolean> {
  const [file, argv] = inNetns(netns, 'iptables', ['-w', '5', ...args]);
  return run(file, argv).then(
    () => true,
    () => false,
  );
}

/**
 * Accepts VXLAN on `port` only from `members` (their underlay addresses). `runner`, a long-lived shell, starts
 * iptables-restore rather than the agent (see NetnsRunner).
 */
export async function restrictVxlan(
  runner: NetnsRunner,
  netns: NetnsPath,
  port: number,
  members: readonly string[],
  jumpKnown = false,
): Promise<void> {
  await runner.iptablesRestore(netns, vxlanChain(members));
  if (jumpKnown) return;
  if (!(await iptables(netns, ['-C', ...jump(port)]))) await iptables(netns, ['-I', ...jump(port)]);
}

/** The members the chain as `iptables -S CHAIN` prints it lets through, or undefined when it is not ours as written. Pure. */
export function installedMembers(text: string): string[] | undefined {
  const members: string[] = [];
  let drop = false;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line.startsWith(`-A ${VXLAN_CHAIN} `)) continue;
    if (drop) return undefined; // a rule after our DROP: not the chain we write
    const m = new RegExp(`^-A ${VXLAN_CHAIN} -s (\\S+)/32 -j RETURN$`).exec(line);
    if (m) members.push(m[1]!);
    else if (/ -j DROP$/.test(line) && line.includes('xnet: VXLAN only from mesh members')) drop = true;
    else return undefined;
  }
  return drop ? members : undefined;
}

/**
 * restrictVxlan, run only when the rules must change: `iptables-restore` takes the machine-wide xtables lock
 * and a process pair, and a mesh of 50 forming sent every host ~49 membership changes, most of them (a tag, a
 * member's state between failed and alive) leaving the admitted addresses as they were. What is installed is
 * read once (an agent restarted under a running serf finds its predecessor's chain); after that, what we
 * wrote is what is there.
 */
export class VxlanFilter {
  /** The chain's text as last written or found, with the jump in place; undefined: not known. */
  #written: string | undefined;
  /** Every rewrite after the first is one per membership change: through a shell, not a fork of the agent. */
  readonly #runner = new NetnsRunner();

  constructor(
    private readonly netns: NetnsPath,
    private readonly port: number,
  ) {}

  /** Whether the call changed the firewall (false: it already held exactly these members). */
  async admit(members: readonly string[]): Promise<boolean> {
    const want = vxlanChain(members);
    if (this.#written === undefined) this.#written = await this.#installed();
    if (want === this.#written) return false;
    // Known written (by us, or found at launch with its jump): the jump is there, no `iptables -C` after.
    const jumpKnown = this.#written !== undefined;
    this.#written = undefined;
    await restrictVxlan(this.#runner, this.netns, this.port, members, jumpKnown);
    this.#written = want;
    return true;
  }

  async #installed(): Promise<string | undefined> {
    if (!(await iptables(this.netns, ['-C', ...jump(this.port)]))) return undefined;
    const [file, argv] = inNetns(this.netns, 'iptables', ['-w', '5', '-S', VXLAN_CHAIN]);
    const text = await run(file, argv).then(
      (r) => r.stdout,
      () => undefined,
    );
    const members = text === undefined ? undefined : installedMembers(text);
    return members && vxlanChain(members);
  }

  /** Removes the jump and the chain (stop): the next admit writes them anew. */
  async remove(): Promise<void> {
    this.#written = undefined;
    this.#runner.close();
    await unrestrictVxlan(this.netns, this.port);
  }
}

/** Removes the jump and the chain; idempotent. */
export async function unrestrictVxlan(netns: NetnsPath, port: number): Promise<void> {
  while (await iptables(netns, ['-D', ...jump(port)])) {
    /* every copy */
  }
  await iptables(netns, ['-F', VXLAN_CHAIN]);
  await iptables(netns, ['-X', VXLAN_CHAIN]);
}

/** One iptables rule on the tunnel's way in, with what it counted (`iptables -S -v`'s `-c PACKETS BYTES`). */
export interface RuleCount {
  /** The rule as `iptables -S` prints it (without the counters): what an operator would delete. */
  rule: string;
  packets: number;
  /** DROP or REJECT: it ends the packet's way; RETURN in our chain lets a member through. */
  verdict: 'drop' | 'return';
  /** `-s` of the rule, or null when it matches every source. */
  source: string | null;
  /** Ours: a rule of the XNET-VXLAN chain. */
  ours: boolean;
}

/**
 * The rules that decide UDP `port`'s fate, from `iptables -S -v`: those of our chain, and any other rule that
 * drops or rejects that port. Pure.
 */
export function parseRuleCounters(text: string, port: number): RuleCount[] {
  const out: RuleCount[] = [];
  for (const line of text.split('\n')) {
    const m = /^(-A (\S+) .*?) -c (\d+) \d+( .*)?$/.exec(line.trim());
    if (!m) continue;
    const rule = `${m[1]}${m[4] ?? ''}`;
    const ours = m[2] === VXLAN_CHAIN;
    const verdict = /-j (DROP|REJECT)\b/.test(rule) ? 'drop' : / -j RETURN\b/.test(rule) ? 'return' : null;
    if (
      !verdict ||
      (!ours && (verdict !== 'drop' || !/-p udp/.test(rule) || !new RegExp(`--dport ${port}\\b`).test(rule)))
    )
      continue;
    out.push({ rule, packets: Number(m[3]), verdict, source: /-s (\S+)/.exec(rule)?.[1] ?? null, ours });
  }
  return out;
}

/** The rules on UDP `port`'s way in, with their counters; none when iptables cannot be read. */
export async function ruleCounters(netns: NetnsPath, port: number): Promise<RuleCount[]> {
  const [file, argv] = inNetns(netns, 'iptables', ['-w', '5', '-S', '-v']);
  return run(file, argv).then(
    (r) => parseRuleCounters(r.stdout, port),
    () => [],
  );
}
