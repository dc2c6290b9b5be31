import { describe, expect, it } from 'vitest';
import { admittable } from '../../src/net/vxlan-admit.js';
import { AdmissionPasses } from '../../src/router/vxlan/admission.js';

// The admission's handling of members it cannot admit (IPv6: the map's key and the chain are IPv4), with no
// kernel: no underlay device yet, so every pass ends before a write (the real passes: vxlan-admit.lab.test.ts).
describe('VXLAN admission of an IPv6 member', () => {
  it('splits the members into those the filter admits and the others, sorted and once', () => {
    expect(admittable(['198.18.0.3', 'fd00::2', '198.18.0.2', 'fd00::2', '2001:db8::1'])).toEqual({
      v4: ['198.18.0.2', '198.18.0.3'],
      other: ['2001:db8::1', 'fd00::2'],
    });
    expect(admittable([])).toEqual({ v4: [], other: [] });
  });

  it('logs an IPv6 member once while it stays one, says so in status, and again if it comes back', async () => {
    const log: string[] = [];
    const a = new AdmissionPasses({
      netns: undefined,
      stateDir: '/nonexistent/xnet-admission-unit',
      log: (m) => log.push(m),
      dev: () => undefined,
      running: () => false,
    });
    try {
      const ipv6Lines = () => log.filter((l) => l.includes('IPv4 only'));
      await a.settle(['198.18.0.2', 'fd00::2']);
      await a.settle(['198.18.0.2', 'fd00::2', '198.18.0.3']);
      expect(ipv6Lines()).toEqual([
        'VXLAN filter: member fd00::2 not admitted: the VXLAN admission is IPv4 only',
      ]);
      expect(a.policy()).toMatch(/; 1 IPv6 member address\(es\) not admitted \(IPv4 only\): fd00::2$/);
      await a.settle(['198.18.0.2']);
      expect(a.policy()).not.toContain('IPv6');
      await a.settle(['198.18.0.2', 'fd00::2']);
      expect(ipv6Lines()).toHaveLength(2);
    } finally {
      a.close();
    }
  });
});
