import { describe, expect, it } from 'vitest';
import { boundPorts, vxlanDrops } from '../src/doctor/facts.js';
import { meshPorts, verdicts, type DoctorFacts } from '../src/doctor/verdicts.js';
import { doctorApi } from '../src/api/doctor.js';

const healthy = (over: Partial<DoctorFacts> = {}): DoctorFacts => ({
  modules: { vxlan: true },
  brNetfilter: 1,
  bpffs: true,
  tools: { clang: true, bpftool: true, tc: true, serf: true, fping: true, iptables: true },
  ports: [
    { port: 4789, proto: 'udp', bound: true },
    { port: 7946, proto: 'tcp', bound: true },
    { port: 7946, proto: 'udp', bound: true },
    { port: 7373, proto: 'tcp', bound: true },
    { port: 7947, proto: 'tcp', bound: true },
  ],
  driver: 'vxlan',
  drops: [],
  routerRunning: true,
  underlay: { dev: 'eth0', mtu: 1500 },
  docker: { reachable: true, liveRestore: true, version: 'dockerd 20.10.24' },
  clocks: {
    asked: ['198.18.0.2'],
    clocks: [{ name: '198.18.0.2', nickname: 'two', offsetMs: -2, uncertaintyMs: 4 }],
  },
  ...over,
});
const byId = (f: DoctorFacts) => new Map(verdicts(f).map((c) => [c.id, c]));

describe('doctor verdicts', () => {
  it('a healthy running host: nothing fails, clock skew measured and small', () => {
    const v = verdicts(healthy());
    expect(v.filter((c) => c.state === 'fail' || c.state === 'warn')).toEqual([]);
    expect(v.find((c) => c.id === 'clock')).toMatchObject({
      state: 'ok',
      detail: 'within 500 ms of 1 peer(s), through the gossip; largest peer two (198.18.0.2) -2 ms ± 4 ms',
    });
  });

  it('clock skew: warns past 500 ms beyond the uncertainty, with chrony as the fix; says who did not answer', () => {
    const two = { name: '198.18.0.2', nickname: 'two', uncertaintyMs: 40 };
    const three = { name: '198.18.0.3', nickname: '', offsetMs: 10, uncertaintyMs: 3 };
    const c = (offsetMs: number, asked = ['198.18.0.2', '198.18.0.3']) =>
      byId(healthy({ clocks: { asked, clocks: [{ ...two, offsetMs }, three] } })).get('clock')!;
    expect(c(-5210)).toMatchObject({
      state: 'warn',
      detail:
        'off by more than 500 ms: peer two (198.18.0.2) -5.2 s ± 40 ms (their clock minus ours, through the gossip); events and logs of these hosts do not line up',
      fix: 'keep every host on NTP: apt-get install chrony (chronyc tracking shows the offset)',
    });
    // 530 ms with ± 40 ms may be 490 ms: not surely past the threshold.
    expect(c(530).state).toBe('ok');
    expect(c(541).state).toBe('warn');
    expect(c(0, ['198.18.0.2', '198.18.0.3', '198.18.0.4']).detail).toMatch(
      /; 198\.18\.0\.4 did not answer \(an agent older than this check\?\)$/,
    );
  });

  it('clock skew is skipped, saying why, with no router, no alive peer, no answer or an error', () => {
    const c = (clocks: DoctorFacts['clocks']) => byId(healthy({ clocks })).get('clock')!;
    expect(c(null)).toMatchObject({ state: 'skip', detail: 'no router runs whose peers could be asked' });
    expect(c({ asked: [], clocks: [] }).detail).toBe('no alive peer to compare with');
    expect(c({ asked: ['198.18.0.2'], clocks: [] }).detail).toMatch(/^no peer answered the clock query; 198/);
    expect(c({ error: 'serf query exited 1' }).detail).toBe('could not ask the peers: serf query exited 1');
  });

  it('a firewall rule dropping VXLAN fails, with the command that removes it', () => {
    const c = byId(
      healthy({
        drops: [{ port: 4789, proto: 'udp', rules: ['-A INPUT -p udp -m udp --dport 4789 -j DROP'] }],
      }),
    ).get('firewall')!;
    expect(c.state).toBe('fail');
    expect(c.fix).toBe('iptables -D INPUT -p udp -m udp --dport 4789 -j DROP');
  });

  it('ports: held by another process before launch fails; free before launch is ok; unbound while running fails', () => {
    const stopped = healthy({ routerRunning: false });
    expect(byId(stopped).get('port-7946-tcp')!.state).toBe('fail');
    const free = healthy({ routerRunning: false, ports: [] });
    expect(byId(free).get('port-4789-udp')).toMatchObject({ state: 'ok', detail: 'free' });
    expect(byId(healthy({ ports: [] })).get('port-4789-udp')!.state).toBe('fail');
  });

  it("checks the running driver's ports, from its description: vxlan's address table pull (TCP 7947) too", () => {
    const ids = (f: DoctorFacts) => verdicts(f).flatMap((c) => (c.id.startsWith('port-') ? [c.id] : []));
    expect(ids(healthy())).toEqual([
      'port-4789-udp',
      'port-7946-tcp',
      'port-7946-udp',
      'port-7373-tcp',
      'port-7947-tcp',
    ]);
    const noPull = healthy({ ports: healthy().ports.filter((p) => p.port !== 7947) });
    expect(byId(noPull).get('port-7947-tcp')).toMatchObject({
      state: 'fail',
      title: 'TCP 7947 (address table pull)',
      detail: 'the router runs but nothing listens there',
    });
    // ovs-gre and the bridge driver have no VXLAN socket and no pull: not bound is not a failure there.
    const ovs = healthy({
      driver: 'ovs-gre',
      ports: healthy().ports.filter((p) => p.port === 7946 || p.port === 7373),
    });
    expect(ids(ovs)).toEqual(['port-7946-tcp', 'port-7946-udp', 'port-7373-tcp']);
    expect(verdicts(ovs).filter((c) => c.state === 'fail')).toEqual([]);
    expect(ids(healthy({ driver: 'weave', ports: [] }))).toEqual([
      'port-6783-tcp',
      'port-6783-udp',
      'port-6784-udp',
      'port-6784-tcp',
      'port-6782-tcp',
    ]);
  });

  it("before any launch, every driver's ports, each labelled with the drivers that need it", () => {
    const v = byId(
      healthy({ driver: null, routerRunning: false, ports: [{ port: 6783, proto: 'tcp', bound: true }] }),
    );
    expect([...v.keys()].filter((id) => id.startsWith('port-'))).toHaveLength(10);
    expect(v.get('port-7946-tcp')).toMatchObject({
      title: 'TCP 7946 (serf gossip; vxlan, bridge, ovs-gre)',
      state: 'ok',
      detail: 'free',
    });
    expect(v.get('port-4789-udp')!.title).toBe('UDP 4789 (VXLAN; vxlan)');
    expect(v.get('port-6783-tcp')).toMatchObject({
      title: 'TCP 6783 (Weave control; weave)',
      state: 'fail',
      detail: 'another process holds it: launching weave would fail',
    });
    expect(meshPorts(null).find((p) => p.port === 7373)!.drivers).toEqual(['vxlan', 'bridge', 'ovs-gre']);
  });

  it("the --json result stays compatible: an older agent's answer (no driver) still parses", () => {
    const checks = verdicts(healthy());
    expect(doctorApi.doctor.result.parse({ checks, ok: false })).toEqual({ checks, ok: false });
    expect(doctorApi.doctor.result.parse({ checks, ok: true, driver: null }).driver).toBeNull();
    expect(() => doctorApi.doctor.result.parse({ checks, ok: true, driver: 'wireguard' })).toThrow();
  });

  it('warns on live-restore off, a small underlay, no bpffs; fails on no dockerd or no serf', () => {
    const v = byId(
      healthy({
        docker: { reachable: true, liveRestore: false, version: 'dockerd 20.10.24' },
        underlay: { dev: 'eth0', mtu: 1400 },
        bpffs: false,
      }),
    );
    expect(v.get('dockerd')).toMatchObject({
      state: 'warn',
      fix: expect.stringContaining('live-restore=true'),
    });
    expect(v.get('underlay')).toMatchObject({
      state: 'warn',
      detail: expect.stringContaining('the overlay gets 1350'),
    });
    expect(v.get('bpffs')).toMatchObject({ state: 'warn', fix: 'mount -t bpf bpf /sys/fs/bpf' });
    const broken = byId(
      healthy({
        docker: { reachable: false, error: 'connect ENOENT' },
        tools: { clang: true, bpftool: true, tc: true, serf: false, fping: true, iptables: true },
      }),
    );
    expect(broken.get('dockerd')!.state).toBe('fail');
    expect(broken.get('tools')).toMatchObject({ state: 'fail', fix: 'apt-get install serf' });
  });
});

describe('doctor facts parsing', () => {
  it('reads bound ports from /proc/net tables: TCP only when listening, UDP when bound', () => {
    const tcp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1CCD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
      '   1: 0100007F:1F0A 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
    ].join('\n');
    const udp = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  1: 00000000:12B5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2 0 0',
    ].join('\n');
    expect(
      [
        ...boundPorts([
          { proto: 'tcp', text: tcp },
          { proto: 'udp', text: udp },
        ]),
      ].sort(),
    ).toEqual(['tcp/7373', 'udp/4789']);
  });

  it('finds the rules that drop or reject UDP 4789, nothing else', () => {
    const rules = [
      '-P INPUT ACCEPT',
      '-A INPUT -p udp -m udp --dport 4789 -j DROP',
      '-A INPUT -p udp -m udp --dport 47890 -j DROP',
      '-A INPUT -p tcp -m tcp --dport 4789 -j DROP',
      '-A FORWARD -i xnet -o xnet -j ACCEPT',
      '-A INPUT -s 198.18.0.9/32 -p udp -m udp --dport 4789 -j REJECT --reject-with icmp-port-unreachable',
    ].join('\n');
    expect(vxlanDrops(rules)).toEqual([
      '-A INPUT -p udp -m udp --dport 4789 -j DROP',
      '-A INPUT -s 198.18.0.9/32 -p udp -m udp --dport 4789 -j REJECT --reject-with icmp-port-unreachable',
    ]);
  });
});
