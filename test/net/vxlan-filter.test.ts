import { describe, expect, it } from 'vitest';
import { installedChain, markChain, parseRuleCounters, vxlanChain } from '../../src/net/vxlan-filter.js';

describe('vxlanChain', () => {
  it('lets each member through once, in order, and drops the rest, in one iptables-restore commit', () => {
    expect(vxlanChain(['198.18.0.3', '198.18.0.2', '198.18.0.3']).split('\n')).toEqual([
      '*filter',
      ':XNET-VXLAN - [0:0]',
      '-A XNET-VXLAN -s 198.18.0.2/32 -j RETURN',
      '-A XNET-VXLAN -s 198.18.0.3/32 -j RETURN',
      '-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -j DROP',
      'COMMIT',
      '',
    ]);
  });

  it('drops all VXLAN when no one else is a member', () => {
    expect(vxlanChain([])).not.toContain('RETURN');
  });
});

describe('markChain', () => {
  it('lets through what the eBPF admission marked and drops the rest, with no member in it', () => {
    expect(markChain().split('\n')).toEqual([
      '*filter',
      ':XNET-VXLAN - [0:0]',
      '-A XNET-VXLAN -m mark --mark 0x200000/0x200000 -m comment --comment "xnet: members admitted by eBPF" -j RETURN',
      '-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -j DROP',
      'COMMIT',
      '',
    ]);
  });
});

describe('installedChain', () => {
  // What `iptables -S XNET-VXLAN` printed in a lab host after a write of two members.
  const listed = [
    '-N XNET-VXLAN',
    '-A XNET-VXLAN -s 198.18.0.2/32 -j RETURN',
    '-A XNET-VXLAN -s 198.18.0.3/32 -j RETURN',
    '-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -j DROP',
    '',
  ].join('\n');
  // And after markChain (iptables 1.8.9, nf_tables).
  const marked = [
    '-N XNET-VXLAN',
    '-A XNET-VXLAN -m mark --mark 0x200000/0x200000 -m comment --comment "xnet: members admitted by eBPF" -j RETURN',
    '-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -j DROP',
    '',
  ].join('\n');

  it('reads back the chain we wrote, so an unchanged mesh writes nothing', () => {
    expect(installedChain(listed)).toBe(vxlanChain(['198.18.0.3', '198.18.0.2']));
    expect(installedChain(marked)).toBe(markChain());
    expect(
      installedChain(
        '-N XNET-VXLAN\n-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -j DROP\n',
      ),
    ).toBe(vxlanChain([]));
  });

  it('does not take a chain someone changed, or one without our DROP, for ours', () => {
    expect(installedChain('-N XNET-VXLAN\n-A XNET-VXLAN -s 198.18.0.2/32 -j RETURN\n')).toBeUndefined();
    expect(installedChain(listed.replace('-j RETURN', '-j ACCEPT'))).toBeUndefined();
    expect(installedChain(`${listed}-A XNET-VXLAN -s 10.0.0.1/32 -j RETURN\n`)).toBeUndefined();
    expect(installedChain(marked.replace('0x200000/0x200000', '0x1/0x1'))).toBeUndefined();
    // Both kinds of RETURN at once is neither chain we write.
    expect(
      installedChain(
        marked.replace(
          '-A XNET-VXLAN -m mark',
          '-A XNET-VXLAN -s 198.18.0.2/32 -j RETURN\n-A XNET-VXLAN -m mark',
        ),
      ),
    ).toBeUndefined();
    expect(installedChain('')).toBeUndefined();
  });
});

describe('parseRuleCounters', () => {
  // `iptables -S -v` as iptables 1.8.9 (nf_tables) printed it in a lab host with a rule dropping VXLAN.
  const text = [
    '-P INPUT ACCEPT -c 0 0',
    '-N XNET-VXLAN',
    '-A INPUT -p udp -m udp --dport 4789 -c 17 2210 -j DROP',
    '-A INPUT -p udp -m udp --dport 4789 -c 3 390 -j XNET-VXLAN',
    '-A INPUT -p udp -m udp --dport 47890 -c 9 900 -j DROP',
    '-A INPUT -p tcp -m tcp --dport 4789 -c 9 900 -j REJECT --reject-with tcp-reset',
    '-A XNET-VXLAN -s 198.18.0.2/32 -c 3 390 -j RETURN',
    '-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -c 0 0 -j DROP',
  ].join('\n');

  it('keeps our chain and the rules that drop the port, each with its packets and as -S prints it', () => {
    expect(parseRuleCounters(text, 4789)).toEqual([
      {
        rule: '-A INPUT -p udp -m udp --dport 4789 -j DROP',
        packets: 17,
        verdict: 'drop',
        source: null,
        ours: false,
      },
      {
        rule: '-A XNET-VXLAN -s 198.18.0.2/32 -j RETURN',
        packets: 3,
        verdict: 'return',
        source: '198.18.0.2/32',
        ours: true,
      },
      {
        rule: '-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -j DROP',
        packets: 0,
        verdict: 'drop',
        source: null,
        ours: true,
      },
    ]);
  });

  it('finds nothing in a firewall without rules', () => {
    expect(parseRuleCounters('-P INPUT ACCEPT -c 0 0\n', 4789)).toEqual([]);
  });
});
