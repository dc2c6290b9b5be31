import { describe, expect, it } from 'vitest';
import { cidrsOverlap, parseInterfaceCidr, routeContains } from '../../src/net/cidr.js';
import { XnetError } from '../../src/errors.js';

function rejection(text: string): XnetError {
  try {
    parseInterfaceCidr(text);
  } catch (err) {
    return err as XnetError;
  }
  throw new Error(`${text} was accepted`);
}

describe('parseInterfaceCidr', () => {
  it('accepts a host address and normalises it', () => {
    expect(parseInterfaceCidr('172.25.11.23/24')).toEqual({
      address: '172.25.11.23',
      prefix: 24,
      cidr: '172.25.11.23/24',
      subnet: '172.25.11.0/24',
    });
    expect(parseInterfaceCidr('10.0.0.1/8').subnet).toBe('10.0.0.0/8');
  });

  it.each([
    ['172.25.11.23', /not an address with a prefix/],
    ['172.25.11.23/24/1', /not an address with a prefix/],
    ['172.25.11.300/24', /not an IPv4 address/],
    ['1.2.3/24', /not an IPv4 address/],
    ['0x0a.0.0.1/8', /not an IPv4 address/],
    ['web/24', /not an IPv4 address/],
    ['fd00::1/64', /is IPv6/],
    ['172.25.11.23/abc', /not a number/],
    ['172.25.11.23/33', /out of range/],
    ['172.25.11.23/0', /out of range/],
    ['172.25.11.23/31', /out of range/],
    ['172.25.11.0/24', /network address of 172.25.11.0\/24/],
    ['172.25.11.255/24', /broadcast address of 172.25.11.0\/24/],
  ])('rejects %s with exit 2 naming the field', (text, why) => {
    const err = rejection(text);
    expect(err).toBeInstanceOf(XnetError);
    expect(err.exitCode).toBe(2);
    expect(err.field).toBe('cidr');
    expect(err.message).toMatch(why);
    expect(err.hint).toBeTruthy();
  });

  it('suggests the first host address for a network address', () => {
    expect(rejection('172.25.11.0/24').hint).toContain('172.25.11.1/24');
  });
});

describe('routeContains', () => {
  it('matches prefixes and bare host routes, never the default route', () => {
    expect(routeContains('172.17.0.0/16', '172.17.3.4')).toBe(true);
    expect(routeContains('172.17.0.0/16', '172.18.0.1')).toBe(false);
    expect(routeContains('10.1.2.3', '10.1.2.3')).toBe(true);
    expect(routeContains('10.1.2.3', '10.1.2.4')).toBe(false);
    expect(routeContains('default', '8.8.8.8')).toBe(false);
    expect(routeContains('fd00::/8', '10.0.0.1')).toBe(false);
  });
});

describe('cidrsOverlap', () => {
  it('finds shared addresses in either order', () => {
    expect(cidrsOverlap('10.0.0.0/8', '10.32.0.0/12')).toBe(true);
    expect(cidrsOverlap('10.32.0.0/12', '10.0.0.0/8')).toBe(true);
    expect(cidrsOverlap('172.25.1.0/24', '172.25.2.0/24')).toBe(false);
  });
});
