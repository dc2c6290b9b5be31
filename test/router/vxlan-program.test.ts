import { describe, expect, it } from 'vitest';
import { forwardingPlan, neighPlan } from '../../src/router/vxlan/forwarding.js';
import { entriesOf, type DeviceWant } from '../../src/router/vxlan/program.js';

const fwd = (address: string, mac: string, vtep: string) => ({ address, mac, vtep });
const probe = (n: number) => fwd(`fe80::${n}`, `02:00:00:00:00:0${n}`, `198.18.0.${n}`);

/** The lines a pass would write to go from `current` (as entriesOf lists it) to `want`. */
function linesFrom(current: DeviceWant, want: DeviceWant): string[] {
  const c = entriesOf(current);
  const plan = forwardingPlan('xnet-vx', c, want);
  return [...plan.fdb, ...plan.neigh, ...neighPlan('xnet', c.bridgeNeigh, want.probes)];
}

describe('entriesOf: what a pass left, for the next to plan against without reading', () => {
  const two: DeviceWant = {
    vteps: ['198.18.0.2', '198.18.0.3'],
    forwards: [fwd('172.25.11.30', '02:aa:00:00:00:30', '198.18.0.2'), probe(2), probe(3)],
    probes: [probe(2), probe(3)],
  };

  it('plans nothing for the want that made it', () => {
    expect(linesFrom(two, two)).toEqual([]);
  });

  it('plans exactly what a new member adds, as a read of the kernel would', () => {
    const three: DeviceWant = {
      vteps: [...two.vteps, '198.18.0.4'],
      forwards: [...two.forwards, probe(4)],
      probes: [...two.probes, probe(4)],
    };
    expect(linesFrom(two, three).sort()).toEqual(
      [
        'fdb append 00:00:00:00:00:00 dev xnet-vx dst 198.18.0.4',
        'fdb replace 02:00:00:00:00:04 dev xnet-vx dst 198.18.0.4 static',
        'neigh replace fe80::4 lladdr 02:00:00:00:00:04 dev xnet-vx nud permanent',
        'neigh replace fe80::4 lladdr 02:00:00:00:00:04 dev xnet nud permanent',
      ].sort(),
    );
  });

  it('plans the removals of a member gone, and of a container detached', () => {
    const gone: DeviceWant = { vteps: ['198.18.0.3'], forwards: [probe(3)], probes: [probe(3)] };
    expect(linesFrom(two, gone).sort()).toEqual(
      [
        'fdb del 00:00:00:00:00:00 dev xnet-vx dst 198.18.0.2',
        'fdb del 02:aa:00:00:00:30 dev xnet-vx dst 198.18.0.2',
        'fdb del 02:00:00:00:00:02 dev xnet-vx dst 198.18.0.2',
        'neigh del 172.25.11.30 dev xnet-vx',
        'neigh del fe80::2 dev xnet-vx',
        'neigh del fe80::2 dev xnet',
      ].sort(),
    );
  });
});
