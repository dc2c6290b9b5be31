import { createHash } from 'node:crypto';
import type { Attachment } from '../../api/state.js';
import { containerMac } from '../../net/veth.js';
import { macOfLinkLocal } from './forwarding.js';
import type { AddressEntry } from './table.js';

/** This host's attachments as table entries. */
export function localEntries(self: string, attachments: readonly Attachment[]): AddressEntry[] {
  return attachments.flatMap((a) =>
    a.cidrs.map((cidr) => ({
      address: cidr.split('/')[0]!,
      cidr,
      mac: containerMac(a.containerId),
      container: a.containerName,
      since: a.since,
      host: self,
    })),
  );
}

/** A version that names the list's content: the same list after an agent restart is the same version. */
export function versionOf(entries: readonly AddressEntry[], probeMac: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([entries, probeMac ?? '']))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Whether `version` is that of an empty list, for a member whose probe address is `ll`: its serf tag then says
 * the whole list, and nobody pulls it. The version names the content (versionOf), so this is exact, not a
 * guess: a member with attachments never matches. Pure.
 */
export function isEmptyList(version: string, ll: string | undefined): boolean {
  return version === versionOf([], ll ? macOfLinkLocal(ll) : undefined);
}

/**
 * A change is told after this quiet time, and at most once per TELL_EVERY_MS: each event makes every peer pull
 * the whole list and reprogram its device, so a run of attaches must not cost them one pull per attach.
 */
const TELL_AFTER_MS = 50;
export const TELL_EVERY_MS = 500;

/** One event for a burst of changes (200 attaches in a row tell the mesh a few times, not 200). */
export class Teller {
  #timer: NodeJS.Timeout | undefined;
  #toldAt = 0;

  constructor(private readonly tell: () => void) {}

  soon(): void {
    if (this.#timer) return;
    const wait = Math.max(TELL_AFTER_MS, this.#toldAt + TELL_EVERY_MS - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#toldAt = Date.now();
      this.tell();
    }, wait);
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
