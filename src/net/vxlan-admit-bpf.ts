import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { isIPv4 } from 'node:net';
import { agentPins, loadPinned, pinned } from './bpffs.js';
import { bpftool } from './bpftool-session.js';
import { mapReader } from './mapread.js';
import { run } from './exec.js';
import { inNetns, type NetnsPath } from './netns.js';

/**
 * The VXLAN admission's kernel side (bpf/admit.bpf.c): a program on the underlay's tc ingress marks UDP to the
 * tunnel's port from the addresses in its map, and the firewall's chain (vxlan-filter.ts) lets marked packets
 * through and drops the rest. Admitting a member is one map write through the agent's xnet-mapread (mapread.ts),
 * or its bpftool session where that was not built.
 */

/** Built by `npm run build` (scripts/build-bpf.sh) when clang is installed. */
export const ADMIT_OBJECT = fileURLToPath(new URL('./bpf/admit.bpf.o', import.meta.url));
/** admit.bpf.c's ADMIT_MARK: the one skb mark bit an admitted packet carries from tc to the firewall. */
export const ADMIT_MARK = 0x00200000;
/** Before the counters' filters (pref 49): ours marks and hands on (TC_ACT_UNSPEC), theirs then counts. */
const PREF = '48';

export interface AdmitPins {
  root: string;
  prog: string;
  map: string;
}

/** Apart from the counters' pins: their loader replaces its whole directory when their object changes. */
export function admitPinsFor(stateDir: string): AdmitPins {
  const root = agentPins(stateDir, 'admit');
  return { root, prog: `${root}/progs/admit_ingress`, map: `${root}/maps/xnet_admit` };
}

/** The map's key for one address and port (admit.bpf.c's struct admit_key), as bpftool's bytes. Pure. */
export function admitKey(addr: string, port: number): number[] {
  if (!isIPv4(addr)) throw new Error(`not an IPv4 address: ${addr}`);
  return [...addr.split('.').map(Number), port & 255, port >>> 8, 0, 0];
}

/** One entry of `bpftool -j map dump`: the key's bytes as hex strings (a BTF view beside them is not relied on). */
export interface DumpEntry {
  key: readonly string[];
}

/** The addresses a `map dump` of the admit map holds for `port`. Pure. */
export function admittedIn(dump: readonly DumpEntry[], port: number): string[] {
  return dump
    .map((e) => e.key.map((b) => Number(b)))
    .filter((k) => k.length === 8 && k[4]! + k[5]! * 256 === port)
    .map((k) => k.slice(0, 4).join('.'));
}

/** The addresses to add to the map and to take out of it, going from `have` to `want`. Pure. */
export function admitChange(
  have: ReadonlySet<string>,
  want: ReadonlySet<string>,
): { add: string[]; drop: string[] } {
  return { add: [...want].filter((a) => !have.has(a)), drop: [...have].filter((a) => !want.has(a)) };
}

/**
 * bpftool lines that take the map from `have` to `want`: the new ones first, then the gone ones, so a member
 * that stays is never out for a moment. Pure.
 */
export function admitLines(
  map: string,
  port: number,
  have: ReadonlySet<string>,
  want: ReadonlySet<string>,
): string[] {
  const key = (a: string) => `key ${admitKey(a, port).join(' ')}`;
  const { add, drop } = admitChange(have, want);
  return [
    ...add.map((a) => `map update pinned ${map} ${key(a)} value 1 0 0 0`),
    ...drop.map((a) => `map delete pinned ${map} ${key(a)}`),
  ];
}

/**
 * The program and its map as pinned by an earlier run (a restart: the hook still runs it, the map still admits),
 * else loaded anew. Rejects where eBPF cannot load (no object, no bpffs, a verifier's refusal).
 */
export async function loadAdmit(p: AdmitPins, object = ADMIT_OBJECT): Promise<void> {
  if ((await pinned(p.prog)) && (await pinned(p.map))) return;
  await loadPinned(object, p.root);
}

/** The addresses the map admits on `port` now: xnet-mapread's keys where it was built, else bpftool's dump. */
export async function readAdmitted(p: AdmitPins, port: number): Promise<Set<string>> {
  const reader = mapReader();
  const dump = reader
    ? (await reader.run([`keys ${p.map}`]))[0]!.map((r) => ({ key: [...r.key].map(String) }))
    : await bpftool().one<DumpEntry[]>(`map dump pinned ${p.map}`);
  return new Set(admittedIn(dump, port));
}

/**
 * xnet-mapread's commands for what admitLines says (the same order: new ones first, then the gone ones). Pure.
 */
export function admitCommands(
  map: string,
  port: number,
  have: ReadonlySet<string>,
  want: ReadonlySet<string>,
): string[] {
  const key = (a: string) => Buffer.from(admitKey(a, port)).toString('hex');
  const { add, drop } = admitChange(have, want);
  return [...add.map((a) => `set ${map} ${key(a)} 01000000`), ...drop.map((a) => `del ${map} ${key(a)}`)];
}

/**
 * Takes the map from `have` to `want`: one line each to xnet-mapread where it was built (a syscall each, no
 * JSON), else to the agent's bpftool session.
 */
export async function writeAdmitted(
  map: string,
  port: number,
  have: ReadonlySet<string>,
  want: ReadonlySet<string>,
): Promise<void> {
  const reader = mapReader();
  if (reader) await reader.run(admitCommands(map, port, have, want));
  else await bpftool().write(admitLines(map, port, have, want));
}

/** tc batch lines that put the program on `dev`'s ingress (idempotent: a clsact there keeps its filters). */
export const admitHookLines = (p: AdmitPins, dev: string): string[] => [
  `qdisc replace dev ${dev} clsact`,
  `filter replace dev ${dev} ingress pref ${PREF} handle 1 bpf da object-pinned ${p.prog}`,
];

/**
 * Whether our program is on `dev`'s ingress (an admitted member's packets pass only then). Asked of the agent's
 * bpftool session (`net show`, no process) when the device is in the agent's own namespace, else of tc there.
 */
export async function admitHooked(netns: NetnsPath, dev: string): Promise<boolean> {
  if (netns === undefined) {
    const shown = await bpftool()
      .one<{ tc?: { kind?: string; name?: string }[] }[]>(`net show dev ${dev}`)
      .catch(() => []);
    return (shown[0]?.tc ?? []).some(
      (f) => f.kind === 'clsact/ingress' && f.name?.startsWith('admit_ingress'),
    );
  }
  const [file, args] = inNetns(netns, 'tc', ['-j', 'filter', 'show', 'dev', dev, 'ingress', 'pref', PREF]);
  return run(file, args).then(
    (r) => /"kind":\s*"bpf"/.test(r.stdout) && r.stdout.includes('admit_ingress'),
    () => false,
  );
}

/** Takes our program off `dev`'s ingress (idempotent; the device and others' filters stay). */
export async function unhookAdmit(netns: NetnsPath, dev: string): Promise<void> {
  const [file, args] = inNetns(netns, 'tc', ['filter', 'del', 'dev', dev, 'ingress', 'pref', PREF]);
  await run(file, args).catch(() => undefined);
}

/** Removes the pins (the router stops, its hook already off): the program and map go with the last reference. */
export async function unloadAdmit(p: AdmitPins): Promise<void> {
  await rm(p.root, { recursive: true, force: true });
}
