import { describe, expect, it } from 'vitest';
import { vxlanChain } from '../../src/net/vxlan-filter.js';

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
