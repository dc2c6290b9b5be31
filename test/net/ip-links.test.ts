import { describe, expect, it } from 'vitest';
import { linksTouched } from '../../src/net/ip.js';

describe('linksTouched: the devices ip -batch lines make, remove or move', () => {
  it('names made and removed devices, a veth pair both ends, a move in both namespaces', () => {
    const got = linksTouched('/run/netns/xnet-ov', [
      'link add xnet mtu 1450 type bridge',
      'link del dev vx0',
      'link add vxa mtu 1450 type veth peer name eth1 address 02:00:00:00:00:01 netns 4242',
      'link set xnet-vx netns xnet-ov-h1',
      'link set xnet up',
      'neigh replace 10.0.0.1 lladdr 02:00:00:00:00:02 dev xnet-vx nud permanent',
      'addr add 10.0.0.2/24 dev xnet',
    ]);
    expect(Object.fromEntries(got)).toEqual({
      '/run/netns/xnet-ov': ['xnet', 'vx0', 'vxa', 'eth1', 'xnet-vx'],
      'xnet-ov-h1': ['xnet-vx'],
    });
  });

  it('names nothing for lines that change no device', () => {
    expect(linksTouched(undefined, ['link set xnet mtu 1400', 'route add 10.0.0.0/24 dev xnet']).size).toBe(
      0,
    );
  });
});
