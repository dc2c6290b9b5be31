import { describe, expect, it } from 'vitest';
import { XnetError } from '../../src/errors.js';
import { lanOf, moveLines, revertLines, type NicRecord } from '../../src/router/bridge/nic.js';
import {
  attachRefusal,
  checkSlice,
  lanHostsIn,
  parseSlice,
  proposeSlice,
  sliceHolder,
} from '../../src/router/bridge/plan.js';

const lan = { cidr: '198.18.0.0/24', address: '198.18.0.1' };
const nic: NicRecord = {
  dev: 'eth0',
  mac: 'c6:52:8a:5b:75:11',
  mtu: 1500,
  addrs: [{ cidr: '198.18.0.1/24' }, { cidr: '198.18.0.9/24', broadcast: '198.18.0.255' }],
  routes: [
    { dst: 'default', gateway: '198.18.0.254' },
    { dst: '10.9.0.0/16', gateway: '198.18.0.200', metric: 50, protocol: 'static' },
  ],
};

function refusal(f: () => unknown): { field: string | undefined; message: string } {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(XnetError);
    expect((err as XnetError).kind).toBe('bad_input');
    return { field: (err as XnetError).field, message: (err as XnetError).message };
  }
  throw new Error('not refused');
}

describe('bridge slices', () => {
  it('take a network inside the LAN, smaller than it', () => {
    expect(parseSlice('198.18.0.16/28', lan)).toBe('198.18.0.16/28');
    expect(refusal(() => parseSlice('198.18.0.17/28', lan)).message).toContain('not a network address');
    expect(refusal(() => parseSlice('10.0.0.0/28', lan)).message).toContain('not a part of the LAN');
    expect(refusal(() => parseSlice('198.18.0.0/24', lan)).message).toContain('not a part of the LAN');
    expect(refusal(() => parseSlice('198.18.0.0/16', lan)).field).toBe('slice');
    expect(refusal(() => parseSlice('nope', lan)).field).toBe('slice');
  });

  it('find the other host whose slice overlaps, and the LAN hosts a slice would hand out', () => {
    const others = [{ host: 'one (198.18.0.1)', slice: '198.18.0.16/28' }];
    expect(sliceHolder('198.18.0.24/29', others)?.host).toBe('one (198.18.0.1)');
    expect(sliceHolder('198.18.0.32/28', others)).toBeUndefined();
    expect(lanHostsIn('198.18.0.0/28', lan, ['198.18.0.1', '198.18.0.254'])).toEqual([
      '198.18.0.1',
      '198.18.0.0',
    ]);
    expect(lanHostsIn('198.18.0.240/28', lan, ['198.18.0.254'])).toEqual(['198.18.0.254', '198.18.0.255']);
  });

  it('refuse a slice another host holds, naming it, or one holding a LAN host', () => {
    const others = [{ host: 'one (198.18.0.1)', slice: '198.18.0.16/28' }];
    expect(refusal(() => checkSlice('198.18.0.24/29', lan, others, [])).message).toBe(
      '198.18.0.24/29 overlaps 198.18.0.16/28, the docker slice of one (198.18.0.1)',
    );
    expect(refusal(() => checkSlice('198.18.0.48/28', lan, others, ['198.18.0.50'])).message).toContain(
      'holds 198.18.0.50',
    );
    expect(() => checkSlice('198.18.0.32/28', lan, others, ['198.18.0.1'])).not.toThrow();
  });

  it('propose the first /28 with no LAN host and no other slice in it', () => {
    const hosts = ['198.18.0.1', '198.18.0.2', '198.18.0.254'];
    expect(proposeSlice(lan, hosts, [])).toBe('198.18.0.16/28');
    expect(proposeSlice(lan, hosts, [{ host: 'one', slice: '198.18.0.16/28' }])).toBe('198.18.0.32/28');
    // The LAN's broadcast address rules its last block out.
    expect(
      proposeSlice({ cidr: '198.18.0.0/27', address: '198.18.0.1' }, ['198.18.0.1'], []),
    ).toBeUndefined();
    const full = Array.from({ length: 16 }, (_, i) => ({ host: `h${i}`, slice: `198.18.0.${i * 16}/28` }));
    expect(proposeSlice(lan, hosts, full)).toBeUndefined();
  });

  it('refuse an attach address off the LAN, in a slice, or used on the LAN', () => {
    const slices = [{ host: 'one (198.18.0.1)', slice: '198.18.0.16/28' }];
    const known = [{ address: '198.18.0.254', what: 'the default gateway' }];
    expect(attachRefusal('198.18.0.100', lan, slices, known)).toBeUndefined();
    expect(attachRefusal('10.0.0.1', lan, slices, known)).toContain('not on the LAN');
    expect(attachRefusal('198.18.0.20', lan, slices, known)).toBe(
      '198.18.0.20 is inside 198.18.0.16/28, the docker slice of one (198.18.0.1)',
    );
    expect(attachRefusal('198.18.0.254', lan, slices, known)).toContain('by the default gateway');
    expect(attachRefusal('198.18.0.255', lan, slices, known)).toContain('broadcast');
  });
});

describe('the NIC move', () => {
  it('is one batch: bridge with the NIC MAC, NIC as port, addresses then routes onto the bridge', () => {
    expect(moveLines(nic, 'br0', false)).toEqual([
      'link add br0 type bridge',
      'link set dev br0 address c6:52:8a:5b:75:11',
      'link set dev br0 mtu 1500',
      'link set dev eth0 master br0',
      'addr del 198.18.0.1/24 dev eth0',
      'addr del 198.18.0.9/24 dev eth0',
      'addr add 198.18.0.1/24 dev br0',
      'addr add 198.18.0.9/24 broadcast 198.18.0.255 dev br0',
      'link set dev br0 up',
      'route replace default via 198.18.0.254 dev br0 proto boot',
      'route replace 10.9.0.0/16 via 198.18.0.200 dev br0 metric 50 proto static',
    ]);
    expect(moveLines(nic, 'br0', true)[0]).toBe('link set dev br0 address c6:52:8a:5b:75:11');
  });

  it('goes back exactly as recorded, the bridge removed first', () => {
    expect(revertLines(nic, 'br0')).toEqual([
      'link set dev eth0 nomaster',
      'link del br0',
      'addr add 198.18.0.1/24 dev eth0',
      'addr add 198.18.0.9/24 broadcast 198.18.0.255 dev eth0',
      'link set dev eth0 up',
      'route replace default via 198.18.0.254 dev eth0 proto boot',
      'route replace 10.9.0.0/16 via 198.18.0.200 dev eth0 metric 50 proto static',
    ]);
    expect(lanOf(nic)).toEqual(lan);
  });
});
