import { describe, expect, it } from 'vitest';
import { boundPorts, vxlanDrops } from '../src/doctor/facts.js';
import { verdicts, type DoctorFacts } from '../src/doctor/verdicts.js';

const healthy = (over: Partial<DoctorFacts> = {}): DoctorFacts => ({
  vxlanModule: true,
  brNetfilter: 1,
  bpffs: true,
  tools: { clang: true, bpftool: true, tc: true, serf: true, fping: true, iptables: true },
  ports: [
    { port: 4789, proto: 'udp', bound: true },
    { port: 7946, proto: 'tcp', bound: true },
    { port: 7946, proto: 'udp', bound: true },
    { port: 7373, proto: 'tcp', bound: true },
  ],
  vxlanDrops: [],
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
    const c = byId(healthy({ vxlanDrops: ['-A INPUT -p udp -m udp --dport 4789 -j DROP'] })).get('firewall')!;
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
