import { describe, expect, it } from 'vitest';
import { listActions, VERSION_TAG } from '../../src/router/vxlan/addresses.js';
import { linkLocalOfMac } from '../../src/router/vxlan/forwarding.js';
import type { Attachment } from '../../src/api/state.js';
import { isEmptyList, localEntries, versionOf } from '../../src/router/vxlan/local-list.js';

// Each member's probe address (its bridge's EUI-64 link-local) and the versions its agent would tag.
const mac = (n: number) => `02:42:c6:12:00:${n.toString(16).padStart(2, '0')}`;
const ll = (n: number) => linkLocalOfMac(mac(n));
const emptyVersion = (n: number) => versionOf([], mac(n));
const fullVersion = (n: number) =>
  versionOf(
    localEntries(`198.18.0.${n}`, [
      {
        containerId: 'c'.repeat(64),
        containerName: 'web',
        ifname: 'ethwe',
        cidrs: ['172.25.11.23/24'],
        since: '2026-01-01T00:00:00Z',
      } satisfies Attachment,
    ]),
    mac(n),
  );
const member = (n: number, av?: string) =>
  [`198.18.0.${n}`, { tags: { ll: ll(n), ...(av === undefined ? {} : { [VERSION_TAG]: av }) } }] as const;

describe("a member's list version in its serf tag", () => {
  it('names an empty list exactly: only the empty list of that member matches', () => {
    expect(isEmptyList(emptyVersion(2), ll(2))).toBe(true);
    expect(isEmptyList(emptyVersion(2), ll(3))).toBe(false);
    expect(isEmptyList(fullVersion(2), ll(2))).toBe(false);
    // A probe address not made from a MAC: the tag cannot say the list, so it is pulled.
    expect(isEmptyList(emptyVersion(2), 'fe80::1234:5678:9abc:def0')).toBe(false);
    expect(isEmptyList(versionOf([], undefined), undefined)).toBe(true);
  });

  it('takes an empty list from the tag and pulls a member that has attachments', () => {
    const tagged = new Map<string, string>();
    const alive = new Map([member(2, emptyVersion(2)), member(3, fullVersion(3))]);
    const act = listActions(alive, new Set(), tagged, () => undefined);
    expect(act).toEqual({ empty: [['198.18.0.2', emptyVersion(2)]], pull: ['198.18.0.3'] });
  });

  it('does nothing for a tag it acted on, or for a version the table has; pulls when the tag moves', () => {
    const tagged = new Map<string, string>();
    const have = new Map([['198.18.0.3', fullVersion(3)]]);
    const alive = new Map([member(3, fullVersion(3))]);
    // A member returning (failed, then alive) with the list the table still has: not pulled.
    expect(listActions(alive, new Set(), tagged, (h) => have.get(h))).toEqual({ empty: [], pull: [] });
    expect(listActions(alive, new Set(alive.keys()), tagged, () => undefined)).toEqual({
      empty: [],
      pull: [],
    });
    const moved = new Map([member(3, 'a-newer-version')]);
    expect(listActions(moved, new Set(alive.keys()), tagged, (h) => have.get(h)).pull).toEqual([
      '198.18.0.3',
    ]);
  });

  it('never empties a list the table has from a newer event because the tag still says empty', () => {
    const act = listActions(new Map([member(2, emptyVersion(2))]), new Set(), new Map(), () => 'newer');
    expect(act).toEqual({ empty: [], pull: ['198.18.0.2'] });
  });

  it('acts again on a member that was gone and came back', () => {
    const tagged = new Map<string, string>();
    const one = new Map([member(2, emptyVersion(2))]);
    expect(listActions(one, new Set(), tagged, () => undefined).empty).toHaveLength(1);
    listActions(new Map(), new Set(one.keys()), tagged, () => undefined);
    expect(tagged.size).toBe(0);
    expect(listActions(one, new Set(), tagged, () => undefined).empty).toHaveLength(1);
  });

  it('pulls a member without the tag (an older agent) when it joins or returns only', () => {
    const tagged = new Map<string, string>();
    const alive = new Map([member(4)]);
    expect(listActions(alive, new Set(), tagged, () => undefined).pull).toEqual(['198.18.0.4']);
    expect(listActions(alive, new Set(alive.keys()), tagged, () => undefined).pull).toEqual([]);
  });
});
