import { describe, expect, it } from 'vitest';
import { verdicts, type DoctorFacts } from '../../src/doctor/verdicts.js';
import { dataPlanePorts, hostModules } from '../../src/doctor/needs.js';
import { doctorApi } from '../../src/api/doctor.js';

/** A host where everything works (the router running, every port bound, no firewall rule): only needs differ. */
const host = (over: Partial<DoctorFacts> = {}): DoctorFacts => ({
  modules: { vxlan: true },
  brNetfilter: 1,
  bpffs: true,
  tools: { clang: true, bpftool: true, tc: true, serf: true, fping: true, iptables: true },
  ports: [4789, 7946, 7373, 7947, 6783, 6784, 6782].flatMap((port) =>
    (['tcp', 'udp'] as const).map((proto) => ({ port, proto, bound: true })),
  ),
  driver: 'vxlan',
  drops: [],
  routerRunning: true,
  underlay: { dev: 'eth0', mtu: 1500 },
  docker: { reachable: true, liveRestore: true, version: 'dockerd 20.10.24' },
  clocks: { asked: [], clocks: [] },
  ...over,
});
const byId = (f: DoctorFacts) => new Map(verdicts(f).map((c) => [c.id, c]));
const VXLAN_DROP = '-A INPUT -p udp -m udp --dport 4789 -j DROP';

describe('doctor: only what the driver in use needs', () => {
  it('the modules and data-plane ports come from the descriptions', () => {
    expect(hostModules(null)).toEqual([{ name: 'vxlan', what: 'VXLAN', drivers: ['vxlan'] }]);
    expect(hostModules('bridge')).toEqual([]);
    expect(dataPlanePorts(null).map((p) => `${p.proto}/${p.port} ${p.drivers.join(',')}`)).toEqual([
      'udp/4789 vxlan',
      'udp/6783 weave',
      'udp/6784 weave',
    ]);
  });

  it('bridge and ovs-gre: no vxlan module, no UDP 4789 and no clock query, each "not needed by" the driver', () => {
    for (const driver of ['bridge', 'ovs-gre'] as const) {
      // The module missing and a rule dropping VXLAN: neither matters to this driver, so nothing warns or fails.
      const v = byId(
        host({
          driver,
          modules: { vxlan: false },
          drops: [{ port: 4789, proto: 'udp', rules: [VXLAN_DROP] }],
        }),
      );
      expect(v.get('vxlan')).toEqual({
        id: 'vxlan',
        title: 'VXLAN',
        state: 'skip',
        detail: `not needed by ${driver} (vxlan only)`,
        fix: null,
      });
      expect(v.get('firewall')).toMatchObject({
        state: 'skip',
        title: 'firewall and UDP 4789, UDP 6783, UDP 6784',
        detail: `not needed by ${driver} (vxlan, weave only)`,
      });
      expect(v.get('clock')).toMatchObject({ state: 'skip', detail: `not needed by ${driver} (vxlan only)` });
      expect([...v.values()].filter((c) => c.state === 'warn' || c.state === 'fail')).toEqual([]);
      // The --json result carries the same words.
      const json = doctorApi.doctor.result.parse({ checks: [...v.values()], ok: true, driver });
      expect(json.checks.find((c) => c.id === 'vxlan')!.detail).toBe(`not needed by ${driver} (vxlan only)`);
    }
  });

  it('vxlan: the module and UDP 4789 are checked, and fail or warn as before', () => {
    const v = byId(
      host({ modules: { vxlan: false }, drops: [{ port: 4789, proto: 'udp', rules: [VXLAN_DROP] }] }),
    );
    expect(v.get('vxlan')).toMatchObject({ state: 'warn', fix: 'modprobe vxlan' });
    expect(v.get('firewall')).toMatchObject({
      title: 'firewall and UDP 4789',
      state: 'fail',
      detail: `a firewall rule drops VXLAN: ${VXLAN_DROP}`,
      fix: 'iptables -D INPUT -p udp -m udp --dport 4789 -j DROP',
    });
  });

  it("weave: its own data-plane ports in the firewall check, not VXLAN's", () => {
    const sleeve = '-A INPUT -p udp -m udp --dport 6783 -j REJECT';
    const v = byId(
      host({
        driver: 'weave',
        drops: [
          { port: 4789, proto: 'udp', rules: [VXLAN_DROP] },
          { port: 6783, proto: 'udp', rules: [sleeve] },
        ],
      }),
    );
    expect(v.get('firewall')).toMatchObject({
      title: 'firewall and UDP 6783, UDP 6784',
      state: 'fail',
      detail: `a firewall rule drops Weave sleeve: ${sleeve}`,
    });
    expect(v.get('vxlan')!.detail).toBe('not needed by weave (vxlan only)');
    expect(byId(host({ driver: 'weave' })).get('firewall')).toMatchObject({
      state: 'ok',
      detail: 'no rule here drops UDP 6783 or UDP 6784',
    });
  });

  it("before any launch every driver's needs are checked, titled with who needs them", () => {
    const v = byId(host({ driver: null, routerRunning: false, ports: [], clocks: null }));
    expect(v.get('vxlan')).toMatchObject({ title: 'VXLAN (vxlan)', state: 'ok' });
    expect(v.get('firewall')).toMatchObject({
      title: 'firewall and UDP 4789 (vxlan), UDP 6783 (weave), UDP 6784 (weave)',
      state: 'ok',
    });
    expect(v.get('underlay')!.detail).toBe(
      'eth0 mtu 1500: the overlay gets 1450 (vxlan); 1500 (no encapsulation) (bridge); 1462 (ovs-gre); 1450 on fastdp, 1376 on sleeve (weave)',
    );
  });

  it("the underlay check gives the overlay MTU by the driver's overhead", () => {
    const u = (driver: DoctorFacts['driver'], mtu = 1500) =>
      byId(host({ driver, underlay: { dev: 'eth0', mtu } })).get('underlay')!.detail;
    expect(u('vxlan')).toBe('eth0 mtu 1500: the overlay gets 1450');
    expect(u('ovs-gre')).toBe('eth0 mtu 1500: the overlay gets 1462');
    expect(u('bridge')).toBe('eth0 mtu 1500: the overlay gets 1500 (no encapsulation)');
    expect(u('ovs-gre', 1400)).toBe(
      'eth0 mtu 1400: the overlay gets 1362, below what a 1500-byte LAN gives (1462)',
    );
  });
});
