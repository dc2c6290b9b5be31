import { run } from './exec.js';
import { inNetns, type NetnsPath } from './netns.js';
import type { NetnsRunner } from './netns-runner.js';
import { ADMIT_MARK } from './vxlan-admit-bpf.js';

/**
 * VXLAN has no authentication and this kernel has no ESP, so a mesh password alone closes only the gossip: one
 * FDB entry on an outsider reached a member's containers. As Docker drops unencrypted VXLAN from non-members,
 * UDP to the VXLAN port is accepted only from current members' underlay addresses: a chain of our own, jumped
 * to from INPUT. Where eBPF loads, the members are a map that a program on the underlay's tc ingress looks each
 * packet's source up in (vxlan-admit-bpf.ts); it marks the admitted ones and the chain, written once, lets marked
 * packets through and drops the rest. A membership change is then one map write, where rewriting the chain
 * (iptables-restore: a process pair and the machine-wide xtables lock) took 1-2 s a join on a 50-host lab.
 * Elsewhere the chain lists the members itself, rewritten whole (one commit) on every change.
 */
export const VXLAN_CHAIN = 'XNET-VXLAN';

const DROP_COMMENT = 'xnet: VXLAN only from mesh members';
const MARK_COMMENT = 'xnet: members admitted by eBPF';
const MARK = `0x${ADMIT_MARK.toString(16)}/0x${ADMIT_MARK.toString(16)}`;

function jump(port: number): string[] {
  return ['INPUT', '-p', 'udp', '--dport', String(port), '-j', VXLAN_CHAIN];
}

const chain = (rules: string[]): string =>
  [
    '*filter',
    // Declared with --noflush, a chain is created if missing and flushed if present: the swap is atomic.
    `:${VXLAN_CHAIN} - [0:0]`,
    ...rules,
    `-A ${VXLAN_CHAIN} -m comment --comment "${DROP_COMMENT}" -j DROP`,
    'COMMIT',
    '',
  ].join('\n');

/** The chain's contents for these members: theirs go on through INPUT, everything else is dropped. Pure. */
export function vxlanChain(members: readonly string[]): string {
  return chain([...new Set(members)].sort().map((m) => `-A ${VXLAN_CHAIN} -s ${m}/32 -j RETURN`));
}

/** The chain when eBPF admits: what the program marked goes on, everything else is dropped. Pure. */
export function markChain(): string {
  return chain([`-A ${VXLAN_CHAIN} -m mark --mark ${MARK} -m comment --comment "${MARK_COMMENT}" -j RETURN`]);
}

async function iptables(netns: NetnsPath, args: string[]): Promise<boolean> {
  const [file, argv] = inNetns(netns, 'iptables', ['-w', '5', ...args]);
  return run(file, argv).then(
    () => true,
    () => false,
  );
}

/**
 * Accepts VXLAN on `port` only as `text` (vxlanChain, markChain) says. `runner`, a long-lived shell, starts
 * iptables-restore rather than the agent (see NetnsRunner). `jumpKnown`: INPUT's jump is known to be there.
 */
export async function restrictVxlan(
  runner: NetnsRunner,
  netns: NetnsPath,
  port: number,
  text: string,
  jumpKnown = false,
): Promise<void> {
  await runner.iptablesRestore(netns, text);
  if (jumpKnown) return;
  if (!(await iptables(netns, ['-C', ...jump(port)]))) await iptables(netns, ['-I', ...jump(port)]);
}

/**
 * The chain as `iptables -S CHAIN` prints it, as the text vxlanChain or markChain would write for it, or
 * undefined when it is not ours as written. Pure.
 */
export function installedChain(text: string): string | undefined {
  const members: string[] = [];
  let drop = false;
  let marked = false;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line.startsWith(`-A ${VXLAN_CHAIN} `)) continue;
    if (drop) return undefined; // a rule after our DROP: not the chain we write
    const m = new RegExp(`^-A ${VXLAN_CHAIN} -s (\\S+)/32 -j RETURN$`).exec(line);
    if (m) members.push(m[1]!);
    else if (
      line === `-A ${VXLAN_CHAIN} -m mark --mark ${MARK} -m comment --comment "${MARK_COMMENT}" -j RETURN`
    )
      marked = true;
    else if (/ -j DROP$/.test(line) && line.includes(DROP_COMMENT)) drop = true;
    else return undefined;
  }
  if (!drop || (marked && members.length > 0)) return undefined;
  return marked ? markChain() : vxlanChain(members);
}

/** The chain as installed with INPUT's jump to it, as vxlanChain or markChain writes it; undefined: not ours. */
export async function readInstalledChain(netns: NetnsPath, port: number): Promise<string | undefined> {
  if (!(await iptables(netns, ['-C', ...jump(port)]))) return undefined;
  const [file, argv] = inNetns(netns, 'iptables', ['-w', '5', '-S', VXLAN_CHAIN]);
  const text = await run(file, argv).then(
    (r) => r.stdout,
    () => undefined,
  );
  return text === undefined ? undefined : installedChain(text);
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
