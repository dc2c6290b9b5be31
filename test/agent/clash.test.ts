import { describe, expect, it } from 'vitest';
import { deriveEvents, type HealthSnapshot } from '../../src/agent/events/derive.js';
import { clashOf } from '../../src/agent/attach-view.js';
import type { AddressClash } from '../../src/api/router-status.js';

const look = (clashes: HealthSnapshot['clashes']): HealthSnapshot => ({
  peers: [],
  checks: [],
  mtu: [],
  counters: { failed: false, reason: null },
  docker: { reachable: true, error: null },
  driver: 'vxlan',
  bridgeMtu: 1450,
  ...(clashes ? { clashes } : {}),
});

const clash = (flaggedSelf: boolean): AddressClash => ({
  address: '172.25.11.40',
  kept: {
    host: '198.18.0.3',
    nickname: 'three',
    container: 'x3',
    since: '2026-01-01T00:00:00.100Z',
    self: !flaggedSelf,
  },
  flagged: [
    {
      host: '198.18.0.1',
      nickname: 'one',
      container: 'x1',
      since: '2026-01-01T00:00:00.200Z',
      self: flaggedSelf,
    },
  ],
});

describe('address clashes', () => {
  it('are an event when they appear and when they clear', () => {
    const c = [
      {
        address: '172.25.11.40',
        text: '172.25.11.40 kept by x3 on this host (claimed first); flagged: x1 on peer one',
      },
    ];
    expect(deriveEvents(look([]), look(c))).toEqual([
      { level: 'warn', kind: 'address_clash', subject: '172.25.11.40', text: `address clash: ${c[0]!.text}` },
    ]);
    expect(deriveEvents(look(c), look(c))).toEqual([]);
    expect(deriveEvents(look(c), look([]))).toEqual([
      {
        level: 'ok',
        kind: 'address_clash_resolved',
        subject: '172.25.11.40',
        text: '172.25.11.40 is held by one host again',
      },
    ]);
  });

  it('flag the newer claim on the host that made it, naming the older', () => {
    const a = {
      containerId: 'a'.repeat(64),
      containerName: 'x1',
      ifname: 'ethwe',
      cidrs: ['172.25.11.40/24'],
      since: '2026-01-01T00:00:00.200Z',
    };
    expect(clashOf(a, [clash(true)])).toMatch(
      /^172\.25\.11\.40 is also held by x3 on peer three \(198\.18\.0\.3\), claimed earlier/,
    );
    // The host whose claim is kept shows the clash in status and events, not on its container.
    expect(clashOf(a, [clash(false)])).toBeUndefined();
    expect(clashOf({ ...a, cidrs: ['172.25.11.41/24'] }, [clash(true)])).toBeUndefined();
  });
});
