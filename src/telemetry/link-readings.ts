import type { InterfaceCounters } from '../api/interfaces.js';

/** One reading of the interface counters: the host's namespace, and the overlay's where the veths are apart. */
export interface LinkReading {
  /** When it was read (ms since the epoch). */
  at: number;
  interfaces: InterfaceCounters[];
}

/** Telemetry reads every second while the router runs; a reading this old is still the latest one. */
export const FRESH_MS = 1_500;

/** The overlay namespace's own loopback says nothing about the mesh. */
export function readingOf(at: number, host: InterfaceCounters[], overlay?: InterfaceCounters[]): LinkReading {
  return { at, interfaces: [...host, ...(overlay ?? []).filter((l) => l.name !== 'lo')] };
}

/**
 * The interface counters telemetry read last, handed to every asker (the `interfaces` method, once a second per
 * TUI) with the time it was read, so any number of TUIs costs no `ip` process beyond telemetry's own. Where
 * telemetry does not read (router not running), one reading is made for all who ask within FRESH_MS.
 */
export class LinkReadings {
  #last: LinkReading | undefined;
  #reading: Promise<LinkReading> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Telemetry's tick: its reading becomes the latest. */
  record(reading: LinkReading): void {
    if (!this.#last || reading.at >= this.#last.at) this.#last = reading;
  }

  /** The latest reading if it is fresh; else one read now, shared with whoever asks while it runs. */
  async latest(read: () => Promise<LinkReading>): Promise<LinkReading> {
    if (this.#last && this.now() - this.#last.at <= FRESH_MS) return this.#last;
    this.#reading ??= read()
      .then((r) => {
        this.record(r);
        return r;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }
}
