import type { Clash } from './table.js';

/** Every host claiming the clash's address. */
function claimants(c: Clash): string[] {
  return [...new Set([c.kept, ...c.flagged].map((h) => h.host))];
}

/** A clash as one set of claims: the address and every host claiming it. */
function keyOf(c: Clash): string {
  return `${c.address} ${claimants(c).sort().join(',')}`;
}

/**
 * A clash is reported once each claimant other than this host has been asked for its list again since the clash
 * appeared. Two claims can meet in a table for a moment without ever coexisting: a host releases an address and
 * another claims it, and a third host hears of the claim (told 50 ms after it) before the release (told at
 * most every 500 ms). Reported at once, that made a clash event and its resolution on the third host for a
 * clash that never was. Asking the claimants (one pull each, up to the caller's timeout) settles it: the stale
 * claim goes, a real one stays and is reported, and a claimant that does not answer keeps its claim.
 */
export class ClashConfirmations {
  readonly #confirmed = new Set<string>();
  readonly #asking = new Set<string>();

  constructor(
    private readonly self: string,
    /** Pulls these hosts' lists into the table now; settles when every pull has ended, answered or not. */
    private readonly ask: (hosts: string[]) => Promise<unknown>,
    /** The table's clashes now. */
    private readonly current: () => readonly Clash[],
  ) {}

  /** The table changed: a clash not seen before has its claimants asked again; clashes gone are forgotten. */
  changed(): void {
    const now = this.current();
    const keys = new Set(now.map(keyOf));
    for (const k of this.#confirmed) if (!keys.has(k)) this.#confirmed.delete(k);
    for (const c of now) {
      const k = keyOf(c);
      if (this.#confirmed.has(k) || this.#asking.has(k)) continue;
      this.#asking.add(k);
      const hosts = claimants(c).filter((h) => h !== this.self);
      void this.ask(hosts)
        .catch(() => undefined)
        .finally(() => {
          this.#asking.delete(k);
          // Still there after asking: real. Gone: nothing to remember (the same claims meeting again are asked again).
          if (this.current().some((x) => keyOf(x) === k)) this.#confirmed.add(k);
        });
    }
  }

  /** Of the table's clashes now, those confirmed. */
  confirmed(): Clash[] {
    return this.current().filter((c) => this.#confirmed.has(keyOf(c)));
  }
}
