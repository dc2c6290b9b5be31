import { describe, expect, it } from 'vitest';
import {
  parseRequest,
  planAttach,
  refuseOwned,
  type AttachInput,
  type AttachPlan,
} from '../../src/agent/attach-plan.js';
import { XnetError } from '../../src/errors.js';

const WEB = { id: 'a'.repeat(64), name: 'web' };
const DB = { id: 'b'.repeat(64), name: 'db' };
const NOW = '2026-11-29T00:00:00.000Z';
const dbAttached = {
  containerId: DB.id,
  containerName: 'db',
  ifname: 'ethwe',
  cidrs: ['172.25.11.24/24'],
  since: NOW,
};
const webAttached = { ...dbAttached, containerId: WEB.id, containerName: 'web', cidrs: ['172.25.11.23/24'] };

function input(over: Partial<AttachInput> & { cidrs?: AttachInput['cidrs'] }): AttachInput {
  return {
    cidrs: parseRequest(['172.25.11.23/24']),
    container: WEB,
    attachments: [dbAttached],
    live: undefined,
    hostVeth: false,
    routes: [
      { dst: 'default', gateway: '198.18.0.254', dev: 'eth0' },
      { dst: '198.18.0.0/24', dev: 'eth0' },
      { dst: '10.0.0.0/8', gateway: '198.18.0.254', dev: 'eth0' },
      { dst: '172.25.11.0/24', dev: 'xnet' },
      { dst: '172.17.0.0/16', dev: 'docker0' },
    ],
    bridge: 'xnet',
    ifname: 'ethwe',
    now: NOW,
    ...over,
  };
}
function plan(i: AttachInput): AttachPlan {
  const d = planAttach(i);
  if ('refusal' in d) throw new Error(`refused: ${d.refusal.message}`);
  return d.plan;
}
function refusal(i: AttachInput): XnetError {
  const d = planAttach(i);
  if (!('refusal' in d)) throw new Error(`planned ${JSON.stringify(d.plan.steps)}`);
  return d.refusal;
}

describe('parseRequest', () => {
  it('refuses an address given twice, naming the field', () => {
    expect(() => parseRequest(['172.25.11.50/24', '172.25.11.50/16'])).toThrow(/given twice/);
    try {
      parseRequest(['172.25.11.50/24', '172.25.11.50/24']);
    } catch (err) {
      expect(err).toMatchObject({ kind: 'bad_input', field: 'cidr' });
    }
  });
});

describe('planAttach', () => {
  it('records a new container, plugs it, adds the address and announces it, claiming it first', () => {
    const p = plan(input({}));
    expect(p.steps.map((s) => s.kind)).toEqual(['claim', 'record', 'plug', 'add-addresses', 'announce']);
    expect(p.added).toEqual(['172.25.11.23/24']);
    expect(p.ask).toEqual(['172.25.11.23']);
    expect(p.attachment).toEqual({ ...webAttached, since: NOW });
  });

  it('refuses an address another container on this host holds', () => {
    const r = refusal(input({ cidrs: parseRequest(['172.25.11.24/24']) }));
    expect(r).toMatchObject({ kind: 'bad_input', field: 'cidr' });
    expect(r.message).toBe('172.25.11.24 is already attached to container db on this host');
    expect(r.hint).toContain('xnet-tui detach 172.25.11.24/24 db');
  });

  it('refuses a prefix change of an address the container has', () => {
    const r = refusal(input({ attachments: [webAttached], cidrs: parseRequest(['172.25.11.23/16']) }));
    expect(r.message).toBe('web already has 172.25.11.23/24, not 172.25.11.23/16');
  });

  it('refuses an address inside a host route, but not one routed through the bridge itself', () => {
    expect(refusal(input({ cidrs: parseRequest(['172.17.0.77/16']) })).message).toBe(
      '172.17.0.77 is inside the host route 172.17.0.0/16 dev docker0',
    );
    expect(refusal(input({ cidrs: parseRequest(['10.1.2.3/8']) })).message).toBe(
      '10.1.2.3 is inside the host route 10.0.0.0/8 dev eth0 via 198.18.0.254',
    );
    expect(plan(input({})).added).toEqual(['172.25.11.23/24']);
  });

  it('refuses on the first bad address of several, before any step', () => {
    const d = planAttach(input({ cidrs: parseRequest(['172.25.12.5/24', '172.25.11.24/24']) }));
    expect('refusal' in d).toBe(true);
  });

  it('repeating an attach the kernel has changes nothing', () => {
    const p = plan(input({ attachments: [webAttached], live: ['172.25.11.23/24'] }));
    expect(p).toMatchObject({ added: [], alreadyPresent: ['172.25.11.23/24'], repaired: [], ask: [] });
    expect(p.steps).toEqual([]);
  });

  it('adds a second address to an attached container without plugging again', () => {
    const p = plan(
      input({
        attachments: [webAttached],
        live: ['172.25.11.23/24'],
        cidrs: parseRequest(['192.168.99.5/16']),
      }),
    );
    expect(p.steps).toEqual([
      { kind: 'claim', cidrs: ['192.168.99.5/16'] },
      { kind: 'record', attachment: { ...webAttached, cidrs: ['172.25.11.23/24', '192.168.99.5/16'] } },
      { kind: 'add-addresses', cidrs: ['192.168.99.5/16'] },
      { kind: 'announce', addresses: ['192.168.99.5'] },
    ]);
  });

  it('repeating an attach repairs drift: the recorded addresses the kernel lacks go back, nothing is claimed', () => {
    const p = plan(input({ attachments: [webAttached], live: undefined }));
    expect(p).toMatchObject({
      added: [],
      alreadyPresent: ['172.25.11.23/24'],
      repaired: ['172.25.11.23/24'],
    });
    expect(p.steps.map((s) => s.kind)).toEqual(['plug', 'add-addresses', 'announce']);
    const lost = plan(input({ attachments: [webAttached], live: [] }));
    expect(lost.steps.map((s) => s.kind)).toEqual(['add-addresses', 'announce']);
  });
});

describe('planAttach after docker restart', () => {
  it('removes the host end left from the previous namespace before plugging the new one', () => {
    const p = plan(input({ attachments: [webAttached], live: undefined, hostVeth: true }));
    expect(p.steps.map((s) => s.kind)).toEqual(['remove-stale-veth', 'plug', 'add-addresses', 'announce']);
  });

  it('leaves a host end alone while the container has its interface', () => {
    const p = plan(input({ attachments: [webAttached], live: ['172.25.11.23/24'], hostVeth: true }));
    expect(p.steps).toEqual([]);
  });
});

describe('refuseOwned', () => {
  it("refuses the first address the mesh says a peer's container holds", () => {
    const p = plan(input({ cidrs: parseRequest(['172.25.11.23/24', '172.25.11.25/24']) }));
    expect(refuseOwned(p, [undefined, undefined])).toBeUndefined();
    const r = refuseOwned(p, [undefined, { peer: 'two', container: 'api' }]);
    expect(r).toMatchObject({ kind: 'bad_input', field: 'cidr' });
    expect(r?.message).toBe('172.25.11.25 is already used in the mesh by container api on peer two');
  });
});
