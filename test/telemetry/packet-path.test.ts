import { describe, expect, it } from 'vitest';
import type { RuleCount } from '../../src/net/vxlan-filter.js';
import { whereStopped, type PathFigures } from '../../src/telemetry/packet-path.js';

// Figures as a host sees them over 3 s while h2 (198.18.0.2) is unreachable over VXLAN.
const ours = (packets: { h2: number; drop: number }): RuleCount[] => [
  {
    rule: '-A XNET-VXLAN -s 198.18.0.2/32 -j RETURN',
    packets: packets.h2,
    verdict: 'return',
    source: '198.18.0.2/32',
    ours: true,
  },
  {
    rule: '-A XNET-VXLAN -s 198.18.0.3/32 -j RETURN',
    packets: 40,
    verdict: 'return',
    source: '198.18.0.3/32',
    ours: true,
  },
  {
    rule: '-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -j DROP',
    packets: packets.drop,
    verdict: 'drop',
    source: null,
    ours: true,
  },
];
const base: PathFigures = {
  who: 'peer two (198.18.0.2)',
  address: '198.18.0.2',
  seconds: 3,
  underlayDev: 'eth0',
  device: 'xnet-vx',
  port: 4789,
  fromPeer: 6,
  toPeer: 6,
  deviceRx: 46,
  rules: ours({ h2: 6, drop: 0 }),
};
const dropAll: RuleCount = {
  rule: '-A INPUT -p udp -m udp --dport 4789 -j DROP',
  packets: 6,
  verdict: 'drop',
  source: null,
  ours: false,
};

describe('whereStopped', () => {
  it('nothing arrives from the peer while we send: the peer or the path', () => {
    expect(whereStopped({ ...base, fromPeer: 0, rules: ours({ h2: 0, drop: 0 }) })).toEqual({
      stop: 'path',
      text: 'nothing arrives from peer two (198.18.0.2) on eth0 (6 packets sent to it in 3 s): the peer or the path drops it',
    });
  });

  it('nothing leaves for the peer either: no forwarding entry', () => {
    expect(whereStopped({ ...base, fromPeer: 0, toPeer: 0 }).stop).toBe('not-sent');
  });

  it('another rule drops what arrives: names the rule as iptables -S prints it, for deleting', () => {
    expect(whereStopped({ ...base, deviceRx: 40, rules: [dropAll, ...ours({ h2: 0, drop: 0 })] })).toEqual({
      stop: 'firewall',
      text: 'UDP 4789 arrives on eth0 (6 packets in 3 s) but never reaches xnet-vx: a firewall rule drops it (6 packets): -A INPUT -p udp -m udp --dport 4789 -j DROP',
    });
  });

  it('a rule for another source is not blamed', () => {
    const other = {
      ...dropAll,
      source: '198.18.0.9/32',
      rule: '-A INPUT -s 198.18.0.9/32 -p udp -m udp --dport 4789 -j DROP',
    };
    expect(whereStopped({ ...base, rules: [other, ...ours({ h2: 6, drop: 0 })] }).stop).toBe('peer-drops');
  });

  it('our chain drops a peer it does not admit, and says it is ours', () => {
    const notAdmitted = ours({ h2: 0, drop: 6 }).filter((r) => r.source !== '198.18.0.2/32');
    expect(whereStopped({ ...base, rules: notAdmitted })).toEqual({
      stop: 'our-rule',
      text: 'UDP 4789 arrives on eth0 (6 packets in 3 s) but never reaches xnet-vx: our rule XNET-VXLAN drops it (198.18.0.2 is not admitted as a member)',
    });
  });

  it("our DROP counting other hosts' packets is not blamed for an admitted peer", () => {
    expect(whereStopped({ ...base, rules: ours({ h2: 6, drop: 9 }) }).stop).toBe('peer-drops');
  });

  it('arrives, no counting rule drops it, yet our RETURN for it counts nothing: something iptables does not count', () => {
    expect(whereStopped({ ...base, rules: ours({ h2: 0, drop: 0 }) }).stop).toBe('before-tunnel');
  });

  it('reaches the device, nothing leaves for the peer: no reply', () => {
    expect(whereStopped({ ...base, toPeer: 0 })).toEqual({
      stop: 'no-reply',
      text: 'packets from peer two (198.18.0.2) reach xnet-vx but no reply leaves eth0 for it',
    });
  });

  it('both ways move here and none is answered: the peer drops what we send', () => {
    expect(whereStopped(base).text).toBe(
      'UDP 4789 from peer two (198.18.0.2) reaches xnet-vx here and ours leave for it (6 packets in 3 s), but none is answered: 198.18.0.2 drops what we send (xnet-tui doctor there names the rule)',
    );
  });

  it('without our chain, the device total says whether anything got through', () => {
    expect(whereStopped({ ...base, rules: [] }).stop).toBe('peer-drops');
    expect(whereStopped({ ...base, rules: [], deviceRx: 0 }).stop).toBe('before-tunnel');
  });

  describe('with the eBPF admission (the chain passes marked packets; the admitted list names the members)', () => {
    const marked = (drop: number): RuleCount[] => [
      {
        rule: '-A XNET-VXLAN -m mark --mark 0x200000/0x200000 -m comment --comment "xnet: members admitted by eBPF" -j RETURN',
        packets: 40,
        verdict: 'return',
        source: null,
        ours: true,
      },
      {
        rule: '-A XNET-VXLAN -m comment --comment "xnet: VXLAN only from mesh members" -j DROP',
        packets: drop,
        verdict: 'drop',
        source: null,
        ours: true,
      },
    ];

    it('a peer not admitted whose packets our DROP counted: our rule', () => {
      const f = { ...base, rules: marked(6), admitted: ['198.18.0.3'] };
      expect(whereStopped(f).stop).toBe('our-rule');
    });

    it("an admitted peer is not blamed on our DROP that counted an outsider's packets", () => {
      const f = { ...base, rules: marked(6), admitted: ['198.18.0.2', '198.18.0.3'] };
      expect(whereStopped(f).stop).toBe('peer-drops');
      expect(whereStopped({ ...f, deviceRx: 0 }).stop).toBe('before-tunnel');
    });
  });
});
