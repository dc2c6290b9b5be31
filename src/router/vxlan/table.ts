import { z } from 'zod';

/**
 * The mesh-wide address table, pure: every attachment in the mesh (address, MAC, host, container), each
 * host's list as that host itself served it. Who holds an address, which of two claims wins, and what the
 * forwarding entries should be are answered here without a process or a network round trip.
 */

/** One address of one attachment, as its host serves it (and as this host serves its own). */
export const AddressEntry = z.object({
  address: z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/),
  cidr: z.string(),
  mac: z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/),
  container: z.string().max(128),
  /** When the host claimed it (ISO 8601): the older of two claims keeps the address. */
  since: z.string(),
  /** The host the entry is about; a member may only speak for itself (see accept). */
  host: z.string().optional(),
});
export type AddressEntry = z.infer<typeof AddressEntry>;

/** What a host serves when pulled: its own attachments and a version that changes whenever they do. */
export const HostList = z.object({
  host: z.string(),
  version: z.string(),
  entries: z.array(z.unknown()).max(65_536),
});
export type HostList = z.infer<typeof HostList>;

export type HostState = 'alive' | 'failed';

/** An entry with the host that holds it, as the table keeps it. */
export interface Holding {
  address: string;
  cidr: string;
  mac: string;
  container: string;
  since: string;
  host: string;
  hostState: HostState;
}

/** Two or more hosts claim one address: the oldest claim keeps it, the newer ones are flagged. */
export interface Clash {
  address: string;
  kept: Holding;
  flagged: Holding[];
}

export interface Accepted {
  changed: boolean;
  /** Entries refused, with why (a claim about another host, a malformed entry). */
  refused: string[];
}

/** Older first; equal times (clocks agree to the ms) fall back on the host name, so every host picks alike. */
export function olderFirst(a: Holding, b: Holding): number {
  const t = Date.parse(a.since) - Date.parse(b.since);
  return t !== 0 && !Number.isNaN(t) ? t : a.host < b.host ? -1 : a.host > b.host ? 1 : 0;
}

interface HostRecord {
  version: string;
  state: HostState;
  entries: AddressEntry[];
}

export class AddressTable {
  readonly #hosts = new Map<string, HostRecord>();
  /** address -> holders, oldest first; rebuilt when a host's list changes. */
  #byAddress = new Map<string, Holding[]>();

  constructor(readonly self: string) {}

  /** This host's own attachments (from its desired state). */
  setLocal(version: string, entries: readonly AddressEntry[]): boolean {
    return this.#put(this.self, { version, state: 'alive', entries: [...entries] });
  }

  /**
   * A list pulled from member `from` (the member at whose gossip address we asked). It is trusted for `from`'s
   * own attachments only: a list that names another host, or entries about another host, are refused.
   */
  accept(from: string, raw: unknown): Accepted {
    const list = HostList.safeParse(raw);
    if (!list.success) return { changed: false, refused: [`${from}: not an address list`] };
    if (list.data.host !== from)
      return {
        changed: false,
        refused: [`${from} sent a list for ${list.data.host}: a member speaks for itself only`],
      };
    const refused: string[] = [];
    const entries: AddressEntry[] = [];
    for (const e of list.data.entries) {
      const p = AddressEntry.safeParse(e);
      if (!p.success) refused.push(`${from}: a malformed entry`);
      else if (p.data.host !== undefined && p.data.host !== from)
        refused.push(`${from} claimed ${p.data.address} for ${p.data.host}: a member speaks for itself only`);
      else entries.push({ ...p.data, host: from });
    }
    const prior = this.#hosts.get(from);
    const changed = this.#put(from, { version: list.data.version, state: prior?.state ?? 'alive', entries });
    return { changed, refused };
  }

  /** The version last accepted from `host`, if any. */
  version(host: string): string | undefined {
    return this.#hosts.get(host)?.version;
  }

  /**
   * Membership says: a failed host's entries stay, marked (it may come back and still holds them); a host that
   * left or was reaped (or is no member at all) has its entries removed. Returns whether anything changed.
   */
  members(states: ReadonlyMap<string, 'alive' | 'failed' | 'gone'>): boolean {
    let changed = false;
    for (const [host, rec] of [...this.#hosts]) {
      if (host === this.self) continue;
      const s = states.get(host) ?? 'gone';
      if (s === 'gone') {
        this.#hosts.delete(host);
        changed = true;
      } else if (s !== rec.state) {
        rec.state = s;
        changed = true;
      }
    }
    if (changed) this.#index();
    return changed;
  }

  /** Every holder of `address`, oldest claim first. */
  holders(address: string): readonly Holding[] {
    return this.#byAddress.get(address) ?? [];
  }

  /** Who other than this host holds `address` (the oldest claim), if anyone. */
  owner(address: string): Holding | undefined {
    return this.holders(address).find((h) => h.host !== this.self);
  }

  /** Addresses two or more hosts claim. */
  clashes(): Clash[] {
    const out: Clash[] = [];
    for (const [address, hs] of this.#byAddress) {
      if (new Set(hs.map((h) => h.host)).size < 2) continue;
      const [kept, ...rest] = hs as [Holding, ...Holding[]];
      out.push({ address, kept, flagged: rest.filter((h) => h.host !== kept.host) });
    }
    return out.sort((a, b) => (a.address < b.address ? -1 : 1));
  }

  /** The remote attachments the data plane forwards to: the oldest claim of each address, on a host alive now. */
  remote(): Holding[] {
    const out: Holding[] = [];
    for (const hs of this.#byAddress.values()) {
      const kept = hs[0];
      if (kept && kept.host !== this.self && kept.hostState === 'alive') out.push(kept);
    }
    return out;
  }

  /** Every claim by another host alive now, kept or flagged (each container's MAC still lives there). */
  held(): Holding[] {
    const out: Holding[] = [];
    for (const hs of this.#byAddress.values())
      for (const h of hs) if (h.host !== this.self && h.hostState === 'alive') out.push(h);
    return out;
  }

  get size(): { entries: number; hosts: number } {
    let entries = 0;
    for (const r of this.#hosts.values()) entries += r.entries.length;
    return { entries, hosts: this.#hosts.size };
  }

  #put(host: string, rec: HostRecord): boolean {
    const prior = this.#hosts.get(host);
    this.#hosts.set(host, rec);
    if (prior && prior.version === rec.version && prior.state === rec.state) return false;
    this.#index();
    return true;
  }

  #index(): void {
    const by = new Map<string, Holding[]>();
    for (const [host, rec] of this.#hosts)
      for (const e of rec.entries) {
        const h: Holding = {
          address: e.address,
          cidr: e.cidr,
          mac: e.mac,
          container: e.container,
          since: e.since,
          host,
          hostState: rec.state,
        };
        const list = by.get(e.address);
        if (list) list.push(h);
        else by.set(e.address, [h]);
      }
    for (const list of by.values()) list.sort(olderFirst);
    this.#byAddress = by;
  }
}
