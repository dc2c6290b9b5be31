/**
 * When each peer came into the probe plan, until its first answer: peer-probes.ts logs
 * "<peer> answered N ms after it was planned (...)" then (join -> reachable, on this side; bench/mesh-clocks
 * reads it). A peer the fast lane ended without (FAST_LANE_MAX_MS with no answer, or the loops restarted) is
 * not waited for any more (the lane does not take it again), but its first answer is still logged, marked as
 * after the lane: the clock figure read "–" for a pair that answered only then. Both maps hold only peers of
 * the plan (a peer leaving it leaves them) and an entry goes at its answer, so they are bounded by the plan.
 * Pure.
 */
export class FirstAnswers {
  readonly #plannedAt = new Map<string, number>();
  /** Peers the fast lane ended without an answer: when they were planned. */
  readonly #givenUp = new Map<string, number>();

  /** The plan's targets now: new ones are planned at `now`, gone ones forgotten. */
  plan(targets: readonly string[], previous: readonly string[] | undefined, now: number): void {
    for (const t of targets) if (!previous?.includes(t)) this.#plannedAt.set(t, now);
    for (const m of [this.#plannedAt, this.#givenUp])
      for (const t of m.keys()) if (!targets.includes(t)) m.delete(t);
  }

  /** Planned and not answered yet (the fast lane's to take; not once the lane gave it up). */
  waiting(target: string): boolean {
    return this.#plannedAt.has(target);
  }

  /** The fast lane ended without these answering: their first answer is logged as after it. */
  giveUp(targets: readonly string[]): void {
    for (const t of targets) {
      const at = this.#plannedAt.get(t);
      if (at === undefined) continue;
      this.#plannedAt.delete(t);
      this.#givenUp.set(t, at);
    }
  }

  /** The log line for `target`'s answer at `t` if it is its first since it was planned, else undefined. */
  answered(target: string, t: number, where: 'main loop' | 'fast lane'): string | undefined {
    const planned = this.#plannedAt.get(target);
    const givenUp = this.#givenUp.get(target);
    this.#plannedAt.delete(target);
    this.#givenUp.delete(target);
    if (planned !== undefined)
      return `peer probes: ${target} answered ${t - planned} ms after it was planned (${where})`;
    if (givenUp !== undefined)
      return `peer probes: ${target} answered ${t - givenUp} ms after it was planned (${where}, after the fast lane ended)`;
    return undefined;
  }

  clear(): void {
    this.#plannedAt.clear();
    this.#givenUp.clear();
  }
}
