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
  ...over,
});
const byId = (f: DoctorFacts) => new Map(verdicts(f).map((c) => [c.id, c]));

describe('doctor verdicts', () => {
  it('a healthy running host: nothing fails, clock skew said to be unmeasured', () => {
    const v = verdicts(healthy());
    expect(v.filter((c) => c.state === 'fail' || c.state === 'warn')).toEqual([]);
    expect(v.find((c) => c.id === 'clock')!.state).toBe('skip');
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
