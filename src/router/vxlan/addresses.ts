import type { Server } from 'node:http';
import pLimit from 'p-limit';
import { followMisses } from '../../net/neigh.js';
import type { NetnsPath } from '../../net/netns.js';
import type { Attachment } from '../../api/state.js';
import type { SerfMember } from '../serf/rpc.js';
import { ClashConfirmations } from './clash-confirm.js';
import { wantedForwards } from './forwarding.js';
import { isEmptyList, localEntries, Teller, versionOf } from './local-list.js';
import { programDevice, type DeviceWant } from './program.js';
import { pull, servePulls } from './pull.js';
import { KeyedPasses, SerialPasses } from '../../passes.js';
import { AddressTable, type AddressEntry, type Clash, type Holding } from './table.js';

/** The user event that says "my list changed": `{"h": member, "v": version}`; receivers pull from the member. */
export const ADDRESS_EVENT = 'xnet-addr';
/** A backstop for a lost event: one member pulled every this often, in turn. */
const ROUND_EVERY_MS = 10_000;
/** A pass whose wish is unchanged still reads the kernel when the last read is older than this. */
const VERIFY_EVERY_MS = 30_000;
/** How long a refusal waits for the holder's own list before it trusts the table. */
const CONFIRM_TIMEOUT_MS = 1_000;
/** An l3miss for an address the table does not know asks every member again, at most this often. */
const MISS_REFRESH_MS = 3_000;
/**
 * Background pulls under way at once. A host joining a mesh asks every member, and every member asks it: at 50
 * hosts on 2 cores, 49 pulls each way at the moment of the join competed with the passes that program the new
 * peer. The pull an attach waits for (confirmedOwner) is not held back.
 */
export const PULLS_AT_ONCE = 8;
/** The serf tag that carries a member's list version (ADDRESS_EVENT's `v`), kept current by its agent. */
export const VERSION_TAG = 'av';

/**
 * What membership does about each alive member's list (see MeshAddresses.membership): take it from the member's
 * VERSION_TAG (an empty list), pull it, or nothing. `tagged` is each member's tag as last acted on; updated here.
 */
export function listActions(
  alive: ReadonlyMap<string, { tags: Readonly<Record<string, string>> }>,
  wasAlive: ReadonlySet<string>,
  tagged: Map<string, string>,
  have: (host: string) => string | undefined,
): { empty: [host: string, version: string][]; pull: string[] } {
  const empty: [string, string][] = [];
  const pull: string[] = [];
  for (const host of tagged.keys()) if (!alive.has(host)) tagged.delete(host);
  for (const [host, m] of alive) {
    const tag = m.tags[VERSION_TAG];
    if (tag === undefined) {
      if (!wasAlive.has(host)) pull.push(host);
      continue;
    }
    if (tagged.get(host) === tag) continue;
    tagged.set(host, tag);
    const version = have(host);
    if (version === tag) continue;
    // Only into an empty slot: a tag can trail an event that already brought a newer list.
    if (version === undefined && isEmptyList(tag, m.tags.ll)) empty.push([host, tag]);
    else pull.push(host);
  }
  return { empty, pull };
}

export interface MeshAddressesDeps {
  /** This member's name in Serf (its underlay address). */
  self: string;
  /** The mesh keys, primary first (Serf's keyring); empty without a mesh password. */
  keys: () => Promise<string[]>;
  attachments: () => readonly Attachment[];
  members: () => readonly SerfMember[];
  /** Gossips a user event to every member. */
  tell: (name: string, payload: string) => Promise<boolean>;
  /** The list's version (the `version` getter) changed: the driver sets this member's VERSION_TAG from it. */
  retag: () => void;
  /** Where the VXLAN device is: every command on it takes its namespace from here. */
  vxlan: () => { netns: NetnsPath; dev: string };
  /** The bridge beside it, where the peer probes leave from. */
  bridge: string;
  /** This host's probe address's MAC (the bridge's), served with its list. */
  probeMac: () => string | undefined;
  log: (msg: string) => void;
}

/**
 * The address table kept in step with the mesh: this host's list served to members that pull it, a user
 * event when it changes, members' lists pulled on their event, when they join or come back, and in turn as
 * a backstop; the VXLAN device's FDB and neighbour entries follow the table, and its misses are answered from it.
 */
export class MeshAddresses {
  readonly table: AddressTable;
  #server: Server | undefined;
  #stopMisses: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #local: { version: string; entries: AddressEntry[] } = { version: '', entries: [] };
  /** One pull per host at a time, PULLS_AT_ONCE in all; an event during a pull makes one more after it. */
  readonly #pullLimit = pLimit(PULLS_AT_ONCE);
  readonly #pulls = new KeyedPasses<string>(
    (host) => this.#pullLimit(() => this.#pullOnce(host, 5_000)).then(() => undefined),
    () => undefined,
  );
  /** Each member's VERSION_TAG as membership last acted on it: a tag is acted on when it changes. */
  readonly #tagged = new Map<string, string>();
  readonly #probeMacs = new Map<string, string>();
  readonly #failing = new Set<string>();
  #alive = new Set<string>();
  #round = 0;
  #lastMissRefresh = 0;
  readonly #passes = new SerialPasses(
    () => this.#program(),
    (err) => {
      // Something changed under us (an entry gone already): read again and retry shortly.
      this.d.log(`address table: forwarding: ${err.message}`);
      setTimeout(() => this.#forward(), 1_000).unref();
    },
  );
  readonly #teller = new Teller(() => {
    const payload = JSON.stringify({ h: this.d.self, v: this.#local.version });
    void this.d
      .tell(ADDRESS_EVENT, payload)
      .catch((err: Error) => this.d.log(`address event: ${err.message}`));
    this.d.retag();
  });
  #stopped = false;

  /** Which of the table's clashes are reported: each one's claimants asked again first (clash-confirm.ts). */
  readonly #clashes: ClashConfirmations;

  constructor(private readonly d: MeshAddressesDeps) {
    this.table = new AddressTable(d.self);
    this.#clashes = new ClashConfirmations(
      d.self,
      (hosts) => Promise.all(hosts.map((h) => this.#pullOnce(h, CONFIRM_TIMEOUT_MS))),
      () => this.table.clashes(),
    );
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#programmed = undefined;
    this.#passes.restart();
    this.#pulls.restart();
    this.#refreshLocal();
    // Not serving (the port taken) costs the mesh this host's list, not this host its mesh: said, not fatal.
    this.#server = await servePulls(this.d.self, {
      keys: this.d.keys,
      list: () => ({
        host: this.d.self,
        version: this.#local.version,
        entries: this.#local.entries,
        probeMac: this.d.probeMac(),
      }),
      log: this.d.log,
    }).catch((err: Error) => {
      this.d.log(
        `address table: cannot serve this host's list: ${err.message}; peers will not see its attachments`,
      );
      return undefined;
    });
    const vx = this.d.vxlan();
    this.#stopMisses = followMisses(vx.netns, vx.dev, (a) => this.#miss(a), this.d.log);
    this.#timer = setInterval(() => this.#roundRobin(), ROUND_EVERY_MS);
    // Members may have missed our changes while no agent ran here (serf outlives the agent): say so.
    this.#tell();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#teller.cancel();
    this.#stopMisses?.();
    // Pulls under way end by their own timeout and change nothing once stopped: not waited for.
    void this.#pulls.stop();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    await this.#passes.stop();
  }

  /** This host's list version (VERSION_TAG's value). */
  get version(): string {
    return this.#local.version;
  }

  /** The desired state's attachments changed: a new list version, told to the mesh. */
  localChanged(): void {
    const before = this.#local.entries;
    if (!this.#refreshLocal()) return;
    this.#clashes.changed();
    this.#tell();
    // Forwarding depends on this host's own claims only where another host claims the same address (which
    // claim is kept): only then is the device reprogrammed, so a run of attaches costs no `ip` process each.
    const was = new Set(before.map((e) => e.address));
    const now = new Set(this.#local.entries.map((e) => e.address));
    const changed = [...was].filter((a) => !now.has(a)).concat([...now].filter((a) => !was.has(a)));
    if (changed.some((a) => this.table.owner(a))) this.#forward();
  }

  #refreshLocal(): boolean {
    const entries = localEntries(this.d.self, this.d.attachments());
    const version = versionOf(entries, this.d.probeMac());
    if (version === this.#local.version) return false;
    this.#local = { version, entries };
    this.table.setLocal(version, entries);
    return true;
  }

  #tell(): void {
    if (!this.#stopped) this.#teller.soon();
  }

  /** A member says its list changed: pull it, unless that version is the one we have. */
  notice(payload: string): void {
    let n: { h?: unknown; v?: unknown };
    try {
      n = JSON.parse(payload) as typeof n;
    } catch {
      return;
    }
    if (typeof n.h !== 'string' || n.h === this.d.self || typeof n.v !== 'string') return;
    // The event only names a member; its list comes from that member's gossip address, whoever sent the event.
    if (this.table.version(n.h) !== n.v && this.#alive.has(n.h)) this.#pull(n.h);
  }

  /**
   * Membership changed: failed hosts marked, departed ones removed, joined and returning ones pulled, unless
   * their VERSION_TAG says we have their list already, or says it is empty (then it is the whole list: a host
   * joining a mesh without attachments is pulled by nobody, and pulls nobody who has none). A member whose
   * tag moves is pulled too, so a change whose event was lost (or came before this host joined) still arrives.
   * Members without the tag (older agents) are pulled when they join or return.
   */
  membership(members: readonly SerfMember[]): void {
    const states = new Map<string, 'alive' | 'failed' | 'gone'>();
    const alive = new Map<string, SerfMember>();
    for (const m of members) {
      if (m.name === this.d.self) continue;
      if (m.status === 'alive') alive.set(m.name, m);
      states.set(m.name, m.status === 'alive' ? 'alive' : m.status === 'failed' ? 'failed' : 'gone');
    }
    for (const [host, s] of states) if (s === 'gone') this.#probeMacs.delete(host);
    const before = this.#alive;
    this.#alive = new Set(alive.keys());
    let changed = this.table.members(states);
    const act = listActions(alive, before, this.#tagged, (h) => this.table.version(h));
    for (const [host, version] of act.empty)
      changed = this.table.accept(host, { host, version, entries: [] }).changed || changed;
    if (changed) this.#clashes.changed();
    for (const host of act.pull) this.#pull(host);
    // No pass asked here: the driver settles one (asking here too made it two passes per membership change).
  }

  #pull(host: string): void {
    this.#pulls.request(host);
  }

  /** One pull of `host`'s list into the table; false when the host is not an alive member (or we stopped). */
  async #pullOnce(host: string, timeoutMs: number): Promise<boolean> {
    const member = this.d.members().find((m) => m.name === host);
    if (!member || member.status !== 'alive' || this.#stopped) return false;
    try {
      const raw = await pull(member.addr, { keys: this.d.keys }, timeoutMs);
      this.#failing.delete(host);
      const probeMac = (raw as { probeMac?: unknown } | null)?.probeMac;
      if (typeof probeMac === 'string' && /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(probeMac))
        this.#probeMacs.set(host, probeMac);
      const r = this.table.accept(host, raw);
      for (const why of r.refused) this.d.log(`address table: refused: ${why}`);
      if (r.changed) {
        this.#clashes.changed();
        this.#forward();
      }
    } catch (err) {
      if (!this.#failing.has(host)) this.d.log(`address table: pull from ${host}: ${(err as Error).message}`);
      this.#failing.add(host);
    }
    return true;
  }

  #roundRobin(): void {
    // The kernel read again at least every VERIFY_EVERY_MS, asked or not: an entry someone else removed (an FDB
    // entry has no miss to report it) is put back within that.
    const last = this.#programmed;
    if (!last || Date.now() - last.at >= VERIFY_EVERY_MS) this.#forward();
    const alive = [...this.#alive].sort();
    if (alive.length === 0) return;
    this.#pull(alive[this.#round++ % alive.length]!);
  }

  /** The kernel could not answer an ARP or ND: program it now if the table knows, else ask the mesh again. */
  #miss(address: string): void {
    // The kernel lacks what the table says: whatever we last wrote, read it again.
    this.#programmed = undefined;
    if (this.table.owner(address)) {
      this.#forward();
      return;
    }
    // This host's own containers answer for themselves on the bridge; a peer's probe address is programmed
    // from its tags, so a miss for one only means the entry is on its way.
    if (this.table.holders(address).length > 0) return;
    if (address.startsWith('fe80:')) {
      this.#forward();
      return;
    }
    const now = Date.now();
    if (now - this.#lastMissRefresh < MISS_REFRESH_MS) return;
    this.#lastMissRefresh = now;
    for (const h of this.#alive) this.#pull(h);
  }

  owner(address: string): Holding | undefined {
    return this.table.owner(address);
  }

  /**
   * The holder of `address` as its host says now, for a refusal: the table may be a moment behind a release
   * (a detach on the holder is told within TELL_EVERY_MS), so before attach refuses, the one host the table
   * names is asked for its list (one TCP round trip, only on the refusal path; no process). A host that does
   * not answer in time keeps its claim.
   */
  async confirmedOwner(address: string): Promise<Holding | undefined> {
    const held = this.table.owner(address);
    if (!held || held.hostState !== 'alive') return held;
    await this.#pullOnce(held.host, CONFIRM_TIMEOUT_MS);
    return this.table.owner(address);
  }

  /** The clashes whose claimants were asked again since they appeared (see ClashConfirmations). */
  clashes(): Clash[] {
    return this.#clashes.confirmed();
  }

  /**
   * Programs the entries now (and waits): for the driver after membership changes it must see applied. Only
   * for one pass that began after the call: the pulls a join starts reprogram the device again when their
   * lists arrive, and the probes of the new peer waited for those too (a second pass, seconds on a loaded
   * machine).
   */
  settle(): Promise<void> {
    return this.#passes.settle();
  }

  /** Brings the VXLAN device's entries in line with the table; one pass at a time, the last request served. */
  #forward(): void {
    this.#passes.request();
  }

  /**
   * What the last pass made the device hold, keyed, and when the kernel was last read. A pass asked for the same
   * (a pull that changed no entry, a member's tag) does nothing, and one asked for a change writes only the
   * change against what the last pass wrote: three kernel dumps per pass, two or three passes per join on each
   * of 50 hosts, were most of a forming mesh's device work. The kernel is read again after a miss or a failed
   * pass, and at least every VERIFY_EVERY_MS (the round-robin timer asks): what someone else removed or left
   * there is put right then.
   */
  #programmed: { key: string; want: DeviceWant; at: number } | undefined;

  async #program(): Promise<void> {
    const members = this.d.members().filter((m) => m.name !== this.d.self);
    const alive = members.filter((m) => m.status === 'alive');
    const { forwards, probes } = wantedForwards(alive, this.table.held(), this.table.remote(), (m) =>
      this.#probeMacs.get(m),
    );
    const want = { vteps: alive.map((m) => m.addr), forwards, probes };
    const key = JSON.stringify(want);
    const last = this.#programmed;
    const fresh = last !== undefined && Date.now() - last.at < VERIFY_EVERY_MS;
    if (fresh && last.key === key) return;
    this.#programmed = undefined;
    // `at` is the last read of the kernel: a pass that trusted the one before it does not move it.
    const at = fresh ? last.at : Date.now();
    await programDevice(this.d.vxlan(), this.d.bridge, want, fresh ? last.want : undefined);
    this.#programmed = { key, want, at };
  }
}
