import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labHost } from '../../src/lab/layout.js';
import type { Result } from '../../src/api/index.js';
import { labUp, nsh } from '../helpers/lab.js';
import { xnet, xnetJson } from '../helpers/cli.js';

// Doctor under a driver other than vxlan (ovs-gre: one lab host, its own userspace OVS): what only vxlan needs
// (the vxlan module, UDP 4789 through the firewall, the clock query) is skipped as not needed, even when a
// rule drops VXLAN; what ovs-gre needs (serf's ports) is checked.
const h1 = labHost(1);
const DROP = ['INPUT', '-p', 'udp', '-m', 'udp', '--dport', '4789', '-j', 'DROP'];

describe('doctor under ovs-gre', () => {
  beforeAll(async () => {
    await labUp({ hosts: 1 });
    const l = await xnet([
      '--lab',
      'h1',
      'launch',
      '--driver',
      'ovs-gre',
      '--subnet',
      '172.25.1.0/24',
      '--json',
    ]);
    expect(l.code, l.stdout + l.stderr).toBe(0);
    nsh(h1, ['iptables', '-w', '5', '-A', ...DROP]);
  }, 300_000);

  afterAll(async () => {
    try {
      nsh(h1, ['iptables', '-w', '5', '-D', ...DROP]);
    } catch {
      // Not added: the set-up failed before.
    }
    await xnet(['--lab', 'h1', 'reset']);
    await xnet(['lab', 'down']);
  }, 300_000);

  it('skips the vxlan-only checks as "not needed by ovs-gre", in --json and in words; checks its own ports', async () => {
    // Exits 1 (and xnetJson throws, saying what) when any check fails.
    const d = await xnetJson<Result<'doctor'>>(['--lab', 'h1', 'doctor']);
    expect(d.driver).toBe('ovs-gre');
    const byId = new Map(d.checks.map((c) => [c.id, c]));
    expect(byId.get('vxlan')).toMatchObject({ state: 'skip', detail: 'not needed by ovs-gre (vxlan only)' });
    // The rule dropping VXLAN is there, and it is not ovs-gre's concern.
    expect(nsh(h1, ['iptables', '-w', '5', '-S', 'INPUT'])).toContain('--dport 4789 -j DROP');
    expect(byId.get('firewall')).toMatchObject({
      state: 'skip',
      detail: 'not needed by ovs-gre (vxlan, weave only)',
    });
    expect(byId.get('clock')).toMatchObject({ state: 'skip', detail: 'not needed by ovs-gre (vxlan only)' });
    expect(byId.has('port-4789-udp')).toBe(false);
    expect(byId.get('port-7946-tcp')).toMatchObject({ state: 'ok', detail: 'in use by the router' });
    expect(byId.get('underlay')!.detail).toMatch(/ mtu 1500: the overlay gets 1462$/);
    expect(d.checks.filter((c) => c.state === 'fail')).toEqual([]);

    const words = await xnet(['--lab', 'h1', 'doctor']);
    expect(words.code, words.stdout + words.stderr).toBe(0);
    expect(words.stdout).toMatch(/VXLAN.*not needed by ovs-gre \(vxlan only\)/);
    expect(words.stdout).toMatch(/firewall and UDP 4789.*not needed by ovs-gre/);
  });
});
