import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseProcRoute } from '../../src/net/proc-route.js';

describe('parseProcRoute', () => {
  it('reads default, network, host, gateway and reject routes as ip -json does', () => {
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
      'xnet\t1E0B19AC\t00000000\t0005\t0\t0\t0\tFFFFFFFF\t0\t0\t0',
      'eth0\t0000000A\t010200C0\t0003\t0\t0\t0\t000000FF\t0\t0\t0',
      '*\t000010AC\t00000000\t0201\t0\t0\t0\t0000F0FF\t0\t0\t0',
    ].join('\n');
    expect(parseProcRoute(text, true)).toEqual([
      { dst: 'default', dev: 'eth0', gateway: '192.0.2.1' },
      { dst: '192.0.2.0/24', dev: 'eth0' },
      { dst: '172.25.11.30', dev: 'xnet' },
      { dst: '10.0.0.0/8', dev: 'eth0', gateway: '192.0.2.1' },
      { dst: '172.16.0.0/12' },
    ]);
  });

  it('agrees with ip -json -4 route show table main on this namespace', () => {
    const ip = JSON.parse(
      execFileSync('ip', ['-json', '-4', 'route', 'show', 'table', 'main'], { encoding: 'utf8' }),
    ) as {
      dst: string;
      dev?: string;
      gateway?: string;
    }[];
    const proc = parseProcRoute(readFileSync('/proc/self/net/route', 'utf8'));
    const key = (r: { dst: string; dev?: string; gateway?: string }) =>
      `${r.dst} ${r.dev ?? '-'} ${r.gateway ?? '-'}`;
    expect(proc.map(key).sort()).toEqual(ip.map(key).sort());
  });
});
