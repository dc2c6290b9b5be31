import { describe, expect, it } from 'vitest';
import { cidrsOn, connectedRoutes, localAddresses } from '../../src/net/proc-addrs.js';

// A container with ethwe 172.25.11.23/24 and 172.25.11.30/24, docker's eth0 172.17.0.2/16, as /proc shows it.
const TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        |-- 127.0.0.1
           /32 host LOCAL
     +-- 172.17.0.0/16 2 0 2
        |-- 172.17.0.0
           /16 link UNICAST
        |-- 172.17.0.2
           /32 host LOCAL
     +-- 172.25.11.0/24 2 0 2
        |-- 172.25.11.0
           /24 link UNICAST
        |-- 172.25.11.23
           /32 host LOCAL
        |-- 172.25.11.30
           /32 host LOCAL
        |-- 172.25.11.255
           /32 link BROADCAST
`;
const ROUTE = `Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0
eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
ethwe\t000B19AC\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
`;

describe("an interface's addresses from /proc, without ip", () => {
  it('reads connected routes and local addresses', () => {
    expect(connectedRoutes(ROUTE, 'ethwe')).toEqual([{ net: 0xac190b00, mask: 0xffffff00 }]);
    expect(localAddresses(TRIE).sort()).toEqual(['127.0.0.1', '172.17.0.2', '172.25.11.23', '172.25.11.30']);
  });

  it("gives each local address in a route on the interface with the route's prefix, none of another's", () => {
    expect(cidrsOn(TRIE, ROUTE, 'ethwe')).toEqual(['172.25.11.23/24', '172.25.11.30/24']);
    expect(cidrsOn(TRIE, ROUTE, 'eth0')).toEqual(['172.17.0.2/16']);
  });

  it('an address removed, or the interface gone, is missing (the caller then asks ip)', () => {
    const without = TRIE.replace('        |-- 172.25.11.30\n           /32 host LOCAL\n', '');
    expect(cidrsOn(without, ROUTE, 'ethwe')).toEqual(['172.25.11.23/24']);
    const noEthwe = ROUTE.split('\n')
      .filter((l) => !l.startsWith('ethwe'))
      .join('\n');
    expect(cidrsOn(TRIE, noEthwe, 'ethwe')).toEqual([]);
  });
});
