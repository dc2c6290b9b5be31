import { describe, expect, it } from 'vitest';
import { ClashConfirmations } from '../../src/router/vxlan/clash-confirm.js';
import { AddressTable } from '../../src/router/vxlan/table.js';

// A real table on h3 and the claims of h1 and h2 as their lists say them; `ask` stands for the pulls (what each
// host serves when asked again), resolved when the test says so.
const H1 = '198.18.0.1';
const H2 = '198.18.0.2';
const H3 = '198.18.0.3';
const claim = (host: string, container: string, since: string, mac: string) => ({
  host,
  version: `${host}-${container}`,
  entries: [{ address: '172.25.11.30', cidr: '172.25.11.30/24', mac, container, since }],
});
const released = (host: string) => ({ host, version: `${host}-none`, entries: [] });

function setUp() {
  const table = new AddressTable(H3);
  const serves = new Map<string, object>();
  const asked: string[][] = [];
  let answer: () => void = () => undefined;
  const confirm = new ClashConfirmations(
    H3,
    (hosts) => {
      asked.push(hosts);
      return new Promise<void>((resolve) => {
        answer = () => {
          for (const h of hosts) table.accept(h, serves.get(h));
          confirm.changed();
          resolve();
        };
      });
    },
    () => table.clashes(),
  );
  return { table, serves, asked, confirm, answer: () => answer() };
}
const settle = () => new Promise((r) => setImmediate(r));

describe('a clash is reported once its claimants were asked again', () => {
  it('does not report a stale claim meeting a new one: the release arrives with the asking', async () => {
    const { table, serves, asked, confirm, answer } = setUp();
    table.accept(H1, claim(H1, 'x1', '2026-01-01T00:00:00Z', '0e:00:00:00:00:01'));
    serves.set(H1, released(H1));
    serves.set(H2, claim(H2, 'api', '2026-01-01T00:00:01Z', '0e:00:00:00:00:02'));
    table.accept(H2, serves.get(H2));
    confirm.changed();
    expect(table.clashes()).toHaveLength(1);
    expect(confirm.confirmed()).toEqual([]);
    expect(asked).toEqual([[H1, H2]]);
    answer();
    await settle();
    expect(table.clashes()).toEqual([]);
    expect(confirm.confirmed()).toEqual([]);
  });

  it('reports a real clash once asked, and asks once per clash', async () => {
    const { table, serves, asked, confirm, answer } = setUp();
    serves.set(H1, claim(H1, 'x1', '2026-01-01T00:00:00Z', '0e:00:00:00:00:01'));
    serves.set(H2, claim(H2, 'api', '2026-01-01T00:00:01Z', '0e:00:00:00:00:02'));
    table.accept(H1, serves.get(H1));
    table.accept(H2, serves.get(H2));
    confirm.changed();
    confirm.changed();
    expect(asked).toHaveLength(1);
    answer();
    await settle();
    expect(confirm.confirmed().map((c) => [c.kept.container, c.flagged.map((f) => f.container)])).toEqual([
      ['x1', ['api']],
    ]);
    confirm.changed();
    expect(asked).toHaveLength(1);
  });

  it('asks only the other claimants when this host is one, and asks again when the claims change', async () => {
    const table = new AddressTable(H1);
    const asked: string[][] = [];
    const confirm = new ClashConfirmations(
      H1,
      async (hosts) => void asked.push(hosts),
      () => table.clashes(),
    );
    table.setLocal('v1', claim(H1, 'x1', '2026-01-01T00:00:00Z', '0e:00:00:00:00:01').entries);
    table.accept(H2, claim(H2, 'api', '2026-01-01T00:00:01Z', '0e:00:00:00:00:02'));
    confirm.changed();
    await settle();
    expect(asked).toEqual([[H2]]);
    expect(confirm.confirmed()).toHaveLength(1);
    table.accept(H3, claim(H3, 'db', '2026-01-01T00:00:02Z', '0e:00:00:00:00:03'));
    confirm.changed();
    expect(confirm.confirmed()).toEqual([]);
    await settle();
    expect(asked).toEqual([[H2], [H2, H3]]);
    expect(confirm.confirmed()[0]!.flagged.map((f) => f.host)).toEqual([H2, H3]);
  });
});
