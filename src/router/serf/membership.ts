import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { failed } from '../../errors.js';
import type { ConnectionStatus } from '../driver.js';
import { SERF_PORT, SerfProcess, killStaleSerf, rpcToken } from './process.js';
import { SerfRpc, type SerfMember } from './rpc.js';
import { rotateKey, type KeyRotation } from './rotate.js';
import { recordSeed } from './keyring.js';
import { askClocks, CLOCK_QUERY, type PeerClock } from './clock.js';
import { MemberWatch, membersKey, NextRead, statsSignature, type MembersRead } from './watch.js';
import { explainJoinError } from './join-error.js';
import { GossipRepair } from './repair.js';

/** Serf's RPC on this host's loopback (inside the host's namespace). */
export const SERF_RPC = '127.0.0.1:7373';
const RETRY_EVERY_MS = 3_000;
const SERF_FILES = ['serf.snapshot', 'serf.keyring', 'serf.keyseed', 'serf.pid', 'serf.json'];

export interface MembershipOptions {
  stateDir: string;
  log: (msg: string) => void;
  /** Where a member is reached on the underlay: the driver's own tag for it, else Serf's address. */
  addressOf: (m: SerfMember) => string;
  /**
   * After every membership change, one at a time: the driver brings the kernel in line with the members; what it
   * returns (its steps' times) is logged with the sync. A driver whose kernel work runs in passes of its own
   * returns `applied` instead: the next membership read does not wait for it (see sync).
   */
  onChange: (members: readonly SerfMember[]) => Promise<string | void | Applying>;
  /** A Serf query this host answers, and how. */
  answer?: { query: string; reply: (payload: string) => string };
  /** User events this host follows (Serf delivers this member's own too). */
  events?: { name: string; on: (payload: string) => void };
  /**
   * Tags whose values change while serf runs (the address list's version): set over RPC after each start or
   * adoption and when the driver asks (refreshTags), never on serf's command line, whose arguments decide
   * whether a restarted agent may adopt the serf already running (a changed value there would restart it).
   */
  liveTags?: () => Record<string, string>;
  /** What connect reports as the transport, when the driver has one to name. */
  transport?: string;
  /** What to tell the operator who connects before launching. */
  launchHint: string;
}

/** Tags `names` of `tags`, keyed for comparison (a missing one is empty). Pure. */
export function tagsKey(tags: Readonly<Record<string, string>>, names: readonly string[]): string {
  return JSON.stringify([...names].sort().map((n) => [n, tags[n] ?? '']));
}

/** What the side connections to serf's RPC are for (see SerfMembership's #side). */
type SidePurpose = 'repair' | 'join' | 'tags';

/** The kernel work a membership change started, settled when it is in place; resolves to its steps' times. */
export interface Applying {
  applied: Promise<string | void>;
}

export interface MembershipStart {
  /** This host's underlay address: Serf's node name and bind address. */
  address: string;
  tags: Record<string, string>;
  password?: string;
}

/**
 * The membership the Serf-based meshes (vxlan, ovs-gre) share: a supervised `serf agent`, its member events
 * followed over RPC (and followed again when the connection or serf itself restarts), the connect targets with
 * their state, and joins retried until they hold. Each driver only says what a membership change means for
 * its kernel state.
 */
export class SerfMembership {
  #serf: SerfProcess | undefined;
  #rpc: SerfRpc | undefined;
  #members: SerfMember[] = [];
  #connections = new Map<string, ConnectionStatus>();
  #retry: NodeJS.Timeout | undefined;
  #syncing: Promise<void> = Promise.resolve();
  /** The sync queued behind the running one, not started yet. */
  #waiting: Promise<void> | undefined;
  #token = '';
  /** The members as the last sync read them, keyed (what the watch compares with). */
  #syncedKey = '';
  /** What the next sync takes: the watch's newest read, or a read of its own. */
  readonly #next = new NextRead();
  /** The kernel work of the last sync, for connect to wait on. */
  #applied: Promise<unknown> = Promise.resolve();
  /** Sees joins and failures before serf's coalesced member events do. */
  readonly #watch = new MemberWatch(
    async () => this.#rpc?.members(),
    () => this.#syncedKey,
    (read) => void this.sync(read),
    async () => {
      const rpc = this.#rpc;
      const signature = rpc ? statsSignature(await rpc.stats()) : undefined;
      if (signature && !this.#followsStats) {
        this.#followsStats = true;
        this.o.log(
          `membership watch: serf's stats say ${signature} (members/failed/left/member clock); ` +
            'the members are read when these move, and every 5 s',
        );
      }
      return signature;
    },
  );
  /** The watch's first stats signature was logged. */
  #followsStats = false;
  /** This host's member name (its underlay address). */
  #self = '';
  /**
   * Connections of their own for what may wait on the mesh: serf answers one connection's requests in order,
   * and a join (a push/pull with a slow member: up to serf's 10 s TCP timeout) or a tag change (answered once
   * its broadcast went out) would hold back the watch's member reads and each other. One per purpose.
   */
  readonly #side = new Map<SidePurpose, SerfRpc>();
  /** The live tags as this serf last took them (reset when serf starts or is followed again). */
  #pushedTags = '';
  readonly #repair = new GossipRepair({
    peers: () =>
      this.#members
        .filter((m) => m.status === 'alive' && m.name !== this.#self)
        .map((m) => (m.addr.includes(':') ? `[${m.addr}]:${m.port}` : `${m.addr}:${m.port}`)),
    changedAt: () => this.#watch.changedAt,
    pushPull: async (addr) => {
      const n = await (await this.#sideConnection('repair')).join([addr]);
      if (n === 0) throw new Error(`${addr}: no push/pull`);
    },
    log: (msg) => this.o.log(msg),
  });

  constructor(private readonly o: MembershipOptions) {}

  get members(): readonly SerfMember[] {
    return this.#members;
  }

  /** Connect targets, with whether they joined. */
  get connections(): ConnectionStatus[] {
    return [...this.#connections.values()];
  }

  get running(): boolean {
    return this.#rpc !== undefined;
  }

  /** For the `serf` CLI: the RPC token through its environment (SERF_RPC_AUTH), never argv. */
  cliEnv(): NodeJS.ProcessEnv {
    return { ...process.env, SERF_RPC_AUTH: this.#token };
  }

  /** Each alive member's clock against ours (see clock.ts), and the alive members that were asked. */
  async clocks(self: string): Promise<{ asked: string[]; clocks: PeerClock[] }> {
    const asked = this.#members.filter((m) => m.status === 'alive' && m.name !== self).map((m) => m.name);
    if (!this.running || asked.length === 0) return { asked, clocks: [] };
    return { asked, clocks: await askClocks(SERF_RPC, this.cliEnv(), self) };
  }

  async start(s: MembershipStart): Promise<void> {
    this.#token = await rpcToken(this.o.stateDir);
    this.#self = s.address;
    this.#serf = new SerfProcess({
      rpcToken: this.#token,
      name: s.address,
      bind: s.address,
      rpcAddr: SERF_RPC,
      stateDir: this.o.stateDir,
      tags: s.tags,
      ...(s.password ? { password: s.password } : {}),
      log: this.o.log,
    });
    this.#serf.onStart = () => void this.#follow().catch((err: Error) => this.o.log(`serf: ${err.message}`));
    await this.#serf.start();
    await this.#follow();
    this.#retry = setInterval(() => void this.#retryJoins(), RETRY_EVERY_MS);
    this.#watch.start();
    // XNET_GOSSIP_REPAIR=off: serf's own push/pull only (the bench's A/B).
    if (process.env.XNET_GOSSIP_REPAIR !== 'off') this.#repair.start();
  }

  async #sideConnection(purpose: SidePurpose): Promise<SerfRpc> {
    const open = this.#side.get(purpose);
    if (open) return open;
    if (!this.#rpc) throw new Error('serf is not followed');
    const rpc = await SerfRpc.connect(SERF_RPC, 2_000, this.#token);
    // Halted while connecting, or another caller connected first: leave no extra connection behind.
    const raced = this.#side.get(purpose);
    if (!this.#rpc || raced) {
      rpc.close();
      if (raced) return raced;
      throw new Error('serf is not followed');
    }
    rpc.onClose = () => {
      if (this.#side.get(purpose) === rpc) this.#side.delete(purpose);
    };
    this.#side.set(purpose, rpc);
    return rpc;
  }

  /**
   * Sets the driver's live tags on serf when they differ from what it last took; a failure is logged and the
   * next change or follow tries again. Serf gossips the change, and members see it in their next read.
   */
  async refreshTags(): Promise<void> {
    const tags = this.o.liveTags?.();
    if (!tags || !this.#rpc) return;
    const key = tagsKey(tags, Object.keys(tags));
    if (key === this.#pushedTags) return;
    this.#pushedTags = key;
    try {
      await (await this.#sideConnection('tags')).setTags(tags);
    } catch (err) {
      if (this.#pushedTags === key) this.#pushedTags = '';
      this.o.log(`serf tags: ${(err as Error).message}; set again at the next change or serf restart`);
    }
  }

  /** Connects to serf's RPC and follows member events; each event syncs the driver to the membership. */
  async #follow(): Promise<void> {
    this.#rpc?.close();
    const rpc = await SerfRpc.connect(SERF_RPC, 2_000, this.#token);
    this.#rpc = rpc;
    rpc.onClose = () => {
      if (this.#rpc !== rpc) return;
      this.#rpc = undefined;
      // Serf still running but the connection dropped: follow it again (a serf restart does this by itself).
      if (this.#retry)
        setTimeout(
          () => void this.#follow().catch((err: Error) => this.o.log(`serf RPC: ${err.message}`)),
          500,
        );
    };
    // A serf started again has its command line's tags only: the live ones are set before the first sync and
    // any join, so the members it joins see them in its first announcement. An adopted serf that has them
    // already is not asked (a change is a broadcast to every member).
    const live = this.o.liveTags?.();
    if (live) {
      const stats = await rpc.stats().catch(() => undefined);
      this.#pushedTags = tagsKey(stats?.tags ?? {}, Object.keys(live));
      await this.refreshTags();
    }
    await rpc.streamMembers(() => {
      this.#watch.busy();
      void this.sync();
    });
    if (this.o.answer) await rpc.answerQueries(this.o.answer.query, this.o.answer.reply);
    // Every member tells its clock, so any other can measure the skew (doctor).
    await rpc.answerQueries(CLOCK_QUERY, () => String(Date.now()));
    if (this.o.events) await rpc.streamUserEvents(this.o.events.name, this.o.events.on);
    await this.sync();
  }

  /** Tells every member something through Serf's gossip (a user event); false when serf is not reachable. */
  async tell(name: string, payload: string): Promise<boolean> {
    const rpc = this.#rpc;
    if (!rpc) return false;
    await rpc.userEvent(name, payload);
    return true;
  }

  /**
   * Reads the members (or takes the watch's read) and hands them to the driver; serialised and coalesced: one
   * sync runs and at most one waits, shared by every call made meanwhile (50 hosts forming saw ~49 events each).
   * A driver that returns `applied` programs the kernel in passes of its own, which take the newest members:
   * the next read starts at once, not after the last change's passes.
   */
  sync(read?: MembersRead): Promise<void> {
    this.#next.offer(read);
    if (this.#waiting) return this.#waiting;
    this.#waiting = this.#syncing.then(async () => {
      this.#waiting = undefined;
      const given = this.#next.take();
      const rpc = this.#rpc;
      if (!rpc) return;
      try {
        const began = Date.now();
        const before = this.#members.filter((m) => m.status === 'alive').length;
        this.#members = given?.members ?? (await rpc.members());
        this.#next.synced(given?.at ?? began);
        const key = membersKey(this.#members);
        if (key !== this.#syncedKey) this.#watch.busy();
        this.#syncedKey = key;
        const change = await this.o.onChange(this.#members);
        const applied = typeof change === 'object' ? change.applied : Promise.resolve(change);
        this.#applied = applied.catch(() => undefined);
        const alive = this.#members.filter((m) => m.status === 'alive').length;
        const total = this.#members.length;
        // The membership's way to the kernel, timed: what a join costs before the probes see the peer.
        if (alive !== before)
          void applied.then(
            (steps) =>
              this.o.log(
                `membership: ${alive}/${total} alive (was ${before}), synced in ${Date.now() - began} ms` +
                  (given ? ' (read by the watch)' : '') +
                  (steps ? ` (${steps})` : ''),
              ),
            (err: Error) => this.o.log(`membership sync: ${err.message}`),
          );
        for (const [target, c] of this.#connections)
          if (this.memberAt(target)?.status === 'alive')
            this.#connections.set(target, { ...c, state: 'established', error: null });
      } catch (err) {
        this.o.log(`membership sync: ${(err as Error).message}`);
      }
    });
    this.#syncing = this.#waiting;
    return this.#waiting;
  }

  /** The member a connect target (host or host:port) names. */
  memberAt(target: string): SerfMember | undefined {
    const host = target.split(':')[0];
    return this.#members.find(
      (m) => m.addr === host || this.o.addressOf(m) === host || m.name === host || m.name === target,
    );
  }

  /** Joins each target through Serf and remembers it as a connect target; the membership follows by itself. */
  async join(peers: string[]): Promise<ConnectionStatus[]> {
    const rpc = this.#rpc;
    if (!rpc) throw failed('the router is not running', this.o.launchHint, 'not_running');
    const transport = this.o.transport ? { transport: this.o.transport } : {};
    const results = await Promise.all(
      peers.map(async (target): Promise<ConnectionStatus> => {
        const addr = target.includes(':') ? target : `${target}:${SERF_PORT}`;
        try {
          // Not on the followed connection: the watch's reads would wait behind the push/pull.
          await (await this.#sideConnection('join').catch(() => rpc)).join([addr]);
          return { target, state: 'established', error: null, ...transport };
        } catch (err) {
          return { target, state: 'failed', error: explainJoinError((err as Error).message), ...transport };
        }
      }),
    );
    for (const r of results) this.#connections.set(r.target, r);
    return results;
  }

  async connect(peers: string[]): Promise<ConnectionStatus[]> {
    this.#watch.busy();
    const results = await this.join(peers);
    await this.sync();
    await this.#applied;
    return results;
  }

  async #retryJoins(): Promise<void> {
    const pending = this.connections.filter(
      (c) => c.state !== 'established' || this.memberAt(c.target)?.status === 'failed',
    );
    if (pending.length > 0 && this.#rpc)
      await this.connect(pending.map((c) => c.target)).catch(() => undefined);
  }

  /**
   * Rotates the mesh key through serf's keyring (see rotateKey). This host's keyring then follows the new
   * password, so its next serf start keeps the rotated keyring.
   */
  async rotateKey(key: string): Promise<KeyRotation> {
    const rpc = this.#rpc;
    if (!rpc) throw failed('the router is not running', this.o.launchHint, 'not_running');
    const rotation = await rotateKey(
      {
        keyring: (command, k) => rpc.keyring(command, k),
        alive: async () => (await rpc.members()).filter((m) => m.status === 'alive').map((m) => m.name),
      },
      key,
    );
    await recordSeed(this.o.stateDir, key);
    return rotation;
  }

  /** No longer a connect target (Serf may still know the peer through others). */
  forget(peers: string[]): void {
    for (const p of peers) this.#connections.delete(p);
  }

  /**
   * `graceful` (stop, reset): leaves the mesh and ends serf (peers see "left"). Otherwise (the agent exits or
   * relaunches): lets go of serf and leaves it running, so the mesh sees nothing; the next start adopts it.
   */
  async halt(graceful: boolean): Promise<void> {
    this.#watch.stop();
    this.#repair.stop();
    for (const rpc of this.#side.values()) rpc.close();
    this.#side.clear();
    clearInterval(this.#retry);
    this.#retry = undefined;
    await this.#syncing;
    if (graceful) await this.#rpc?.leave().catch(() => undefined);
    this.#rpc?.close();
    this.#rpc = undefined;
    if (graceful) await this.#serf?.stop();
    else this.#serf?.detach();
    this.#serf = undefined;
    this.#members = [];
    this.#syncedKey = '';
    this.#next.reset();
  }

  /** Leaves, and forgets the targets and Serf's files (snapshot, keyring, pidfile); works from a fresh agent too. */
  async reset(): Promise<void> {
    await this.halt(true);
    await killStaleSerf(this.o.stateDir);
    this.#connections.clear();
    for (const f of SERF_FILES) await rm(join(this.o.stateDir, f), { force: true });
  }
}
