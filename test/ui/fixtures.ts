import type {
  ContainerRow,
  InterfaceCounters,
  PeerRates,
  PingCheck,
  RateSample,
} from '../../src/api/index.js';
import type { RouterStatus } from '../../src/router/driver.js';
import type { DockerdView } from '../../src/ui/state/dockerd.js';
import { initialState, type AgentStatus, type SplitState, type UIState } from '../../src/ui/state/model.js';
import { reducer } from '../../src/ui/state/reducer.js';

/** A fixed moment (14:05 UTC) so the header clock is the same in every run; tests run with TZ=UTC. */
export const NOW = Date.UTC(2025, 0, 15, 14, 5, 30);

export const status: AgentStatus = {
  version: '0.1.0',
  pid: 4242,
  socket: '/run/xnet/lab/h1/agent.sock',
  stateDir: '/var/lib/xnet-lab/h1/xnet',
  dockerHost: 'unix:///run/xnet/lab/h1/docker.sock',
  docker: { reachable: true, version: '20.10.24', error: null },
  bridge: { name: 'xnet', present: true, mtu: 1450 },
  attachments: 2,
  startedAt: '2025-01-15T13:00:00.000Z',
};

function attached(name: string, id: string, cidrs: string[], host: string, mac: string): ContainerRow {
  return {
    id: id.padEnd(64, '0'),
    name,
    image: 'xnet/busybox',
    running: true,
    status: 'Up 2 minutes',
    attachment: {
      container: name,
      containerId: id.padEnd(64, '0'),
      ifname: 'ethwe',
      hostIfname: host,
      mac,
      cidrs,
      live: cidrs,
      state: 'attached',
    },
  };
}

export const containers: ContainerRow[] = [
  attached('web', 'a1b2c3d4e5f6', ['172.25.11.23/24'], 'vxa1b2c3d4e5', '02:42:ac:19:0b:17'),
  attached('db', 'b2c3d4e5f6a1', ['172.25.11.24/24', '172.25.12.5/24'], 'vxb2c3d4e5f6', '02:42:ac:19:0b:18'),
  {
    id: 'c3d4e5f6a1b2'.padEnd(64, '0'),
    name: 'cache',
    image: 'xnet/busybox',
    running: true,
    status: 'Up 2 minutes',
    attachment: null,
  },
  {
    id: 'd4e5f6a1b2c3'.padEnd(64, '0'),
    name: 'batch',
    image: 'xnet/busybox',
    running: false,
    status: 'Exited (0) 5 minutes ago',
    attachment: null,
  },
];

export function counters(name: string, rx: number, tx: number): InterfaceCounters {
  return {
    name,
    kind: null,
    master: null,
    operstate: 'UP',
    rxBytes: rx,
    txBytes: tx,
    rxPackets: 0,
    txPackets: 0,
    rxErrors: 0,
    txErrors: 0,
    rxDropped: 0,
    txDropped: 0,
  };
}

/** A connected lab host with a minute of traffic: a ramp on web, a burst on db, a quiet bridge. */
export function liveState(): UIState {
  let s = initialState('h1 (lab)', status.socket, NOW);
  s = reducer(s, { type: 'connection', connection: { state: 'up', socket: status.socket } });
  s = reducer(s, { type: 'status', status });
  s = reducer(s, { type: 'containers', containers });
  s = reducer(s, {
    type: 'router',
    router: {
      available: true,
      data: { ...router, state: 'not-launched', driver: null, nickname: null, peers: [], connections: [] },
    },
  });
  s = reducer(s, {
    type: 'pings',
    pings: { available: false, reason: 'ping checks: telemetry is not built yet (see issue 5)' },
  });
  s = reducer(s, {
    type: 'peerRates',
    peerRates: { available: false, reason: 'per peer: telemetry is not built yet (see issue 5)' },
  });
  const total = { web: [0, 0], db: [0, 0], xnet: [0, 0] };
  for (let i = 0; i <= 60; i++) {
    const at = NOW - (60 - i) * 1000;
    total.web[0]! += i * 1000;
    total.web[1]! += i * 500;
    total.db[0]! += i >= 40 && i < 45 ? 2_000_000 : 100;
    total.db[1]! += i >= 40 && i < 45 ? 1_500_000 : 80;
    total.xnet[0]! += total.web[1]! > 0 ? 200 : 0;
    total.xnet[1]! += 150;
    s = reducer(s, {
      type: 'counters',
      sample: {
        at,
        interfaces: [
          counters('xnet', total.xnet[0]!, total.xnet[1]!),
          // Host ends: what they transmit, the container receives.
          counters('vxa1b2c3d4e5', total.web[1]!, total.web[0]!),
          counters('vxb2c3d4e5f6', total.db[1]!, total.db[0]!),
        ],
      },
    });
  }
  s = reducer(s, {
    type: 'event',
    event: { at: NOW - 2000, level: 'ok', text: 'attached 172.25.11.23/24 to web (ethwe)' },
  });
  return s;
}

export const router: RouterStatus = {
  driver: 'vxlan',
  state: 'running',
  nickname: 'one',
  name: '198.18.0.1',
  listen: '198.18.0.1',
  range: '10.32.0.0/12',
  encrypted: true,
  bridge: { name: 'xnet', mtu: 1450 },
  underlayMtu: 1500,
  peers: [
    {
      name: '198.18.0.1',
      nickname: 'one',
      address: '198.18.0.1',
      gossip: 'alive',
      dataPlane: { state: 'unknown', rttMs: null, detail: null, checkedAt: null },
      self: true,
    },
    {
      name: '198.18.0.2',
      nickname: 'two',
      address: '198.18.0.2',
      gossip: 'alive',
      dataPlane: { state: 'reachable', rttMs: 0.13, detail: null, checkedAt: '2025-01-15T14:05:29.000Z' },
      self: false,
    },
    {
      name: '198.18.0.3',
      nickname: 'three',
      address: '198.18.0.3',
      gossip: 'alive',
      dataPlane: {
        state: 'mtu-too-small',
        rttMs: 0.2,
        detail: '1450-byte packets do not cross; 1400 do',
        checkedAt: '2025-01-15T14:05:29.000Z',
      },
      self: false,
    },
  ],
  connections: [
    { target: '198.18.0.2', state: 'established', error: null, transport: 'vxlan', encrypted: true },
    {
      target: '198.18.0.9',
      state: 'failed',
      error: 'no answer from 198.18.0.9:7946',
      transport: 'vxlan',
      reason: 'no answer from 198.18.0.9:7946',
    },
  ],
  warnings: [],
};

const probes = (rtts: (number | null)[]): PingCheck['history'] =>
  rtts.map((rttMs, i) => ({ t: NOW - (rtts.length - i) * 1000, rttMs }));

export const pingChecks: PingCheck[] = [
  {
    id: 'a-web-two',
    kind: 'auto',
    from: 'web',
    target: '172.25.11.40',
    peer: '198.18.0.2',
    label: 'web -> peer two (198.18.0.2)',
    state: 'up',
    since: '2025-01-15T14:00:00.000Z',
    lastRttMs: 0.21,
    window: { seconds: 60, sent: 60, received: 60, lossPct: 0, rttMs: { min: 0.1, avg: 0.2, max: 0.4 } },
    history: probes([0.2, 0.1, 0.3, 0.2, 0.4, 0.2, 0.2, 0.1, 0.3, 0.21]),
    error: null,
  },
  {
    id: 'u-db-cache',
    kind: 'user',
    from: 'db',
    target: '172.25.11.99',
    peer: null,
    label: 'db -> 172.25.11.99',
    state: 'degraded',
    since: '2025-01-15T14:04:00.000Z',
    lastRttMs: null,
    window: { seconds: 60, sent: 60, received: 45, lossPct: 25, rttMs: { min: 0.3, avg: 0.5, max: 1.2 } },
    history: probes([0.3, null, 0.5, null, 1.2, 0.4, null, 0.3, 0.6, null]),
    error: null,
  },
];

/** Per-peer traffic as telemetry reports it: a second per sample, the newest last. */
export function peerRates(): PeerRates[] {
  const series = (f: (i: number) => number): PeerRates['series'] =>
    Array.from({ length: 60 }, (_, i) => {
      const b = f(i);
      const c = { packets: Math.ceil(b / 100), bytes: b };
      const z = { packets: 0, bytes: 0 };
      return {
        t: NOW - (59 - i) * 1000,
        rx: c,
        tx: { packets: c.packets, bytes: Math.round(b / 2) },
        protocols: { tcp: c, udp: z, icmp: z, arp: z, other: z },
      };
    });
  return [
    { address: '198.18.0.2', nickname: 'two', series: series((i) => 1000 + i * 400) },
    { address: '198.18.0.3', nickname: 'three', series: series((i) => (i % 10 === 0 ? 50_000 : 0)) },
  ];
}

/**
 * This host's kernel counters as telemetry's `rates` reports them (eBPF: packets and the protocol split):
 * web busy with TCP plus the ping checks' ICMP, db quiet. rx is what was delivered to the container.
 */
export function split(source: 'ebpf' | 'interface-counters' = 'ebpf'): SplitState {
  const z = { packets: 0, bytes: 0 };
  const sample = (i: number, tcp: number, icmp: number): RateSample => {
    const t = { packets: tcp, bytes: tcp * 1400 };
    const c = { packets: icmp, bytes: icmp * 98 };
    const none = source !== 'ebpf';
    return {
      t: NOW - (59 - i) * 1000,
      rx: { packets: Math.ceil((tcp + icmp) / 2), bytes: Math.round((t.bytes + c.bytes) / 2) },
      tx: { packets: Math.floor((tcp + icmp) / 2), bytes: Math.round((t.bytes + c.bytes) / 2) },
      protocols: none
        ? { tcp: z, udp: z, icmp: z, arp: z, other: z }
        : { tcp: t, udp: z, icmp: c, arp: z, other: z },
    };
  };
  const web = Array.from({ length: 60 }, (_, i) => sample(i, Math.round(i * 1.43), 2));
  const db = Array.from({ length: 60 }, (_, i) => sample(i, i % 20 === 0 ? 4 : 0, 2));
  const bridge = web.map((w, i) => ({
    ...w,
    rx: { packets: w.rx.packets + db[i]!.rx.packets, bytes: w.rx.bytes + db[i]!.rx.bytes },
    tx: { packets: w.tx.packets + db[i]!.tx.packets, bytes: w.tx.bytes + db[i]!.tx.bytes },
  }));
  return {
    source,
    bridge,
    containers: new Map([
      ['web', web],
      ['db', db],
    ]),
  };
}

/** The live host on a running mesh with telemetry: peers, connections, ping checks and per-peer traffic. */
export function meshState(): UIState {
  let s = liveState();
  s = reducer(s, { type: 'router', router: { available: true, data: router } });
  s = reducer(s, { type: 'pings', pings: { available: true, data: pingChecks } });
  s = reducer(s, { type: 'peerRates', peerRates: { available: true, data: peerRates() } });
  s = reducer(s, { type: 'split', split: split() });
  return s;
}

const option = (
  key: string,
  value: DockerdView['options'][number]['value'],
  source: DockerdView['options'][number]['source'],
  defaultText: string,
): DockerdView['options'][number] => ({
  key,
  value,
  source,
  file:
    source === 'daemon.json'
      ? '/etc/docker/daemon.json'
      : source === 'flag'
        ? '/lib/systemd/system/docker.service'
        : null,
  fileValue: source === 'daemon.json' ? value : null,
  flagValue: source === 'flag' ? value : null,
  defaultText,
});

/** What `dockerd.show` answers on a host whose daemon.json sets the bridge method up. */
export const dockerdView: DockerdView = {
  configPath: '/etc/docker/daemon.json',
  daemonJson: { state: 'ok', error: null, nonStandard: null, unknownKeys: [] },
  execStart: { file: '/lib/systemd/system/docker.service', argv: ['/usr/bin/dockerd', '-H', 'fd://'] },
  dropInPath: '/etc/systemd/system/docker.service.d/50-xnet-dockerd.conf',
  restart: 'systemctl restart docker',
  options: [
    option('bridge', 'br0', 'daemon.json', 'docker0'),
    option('bip', '172.25.11.1/24', 'daemon.json', 'picked by dockerd'),
    option('fixed-cidr', null, 'default', 'the whole bridge subnet'),
    option('mtu', null, 'default', '1500'),
    option('iptables', null, 'default', 'true'),
    option('icc', null, 'default', 'true'),
    option('hosts', ['fd://'], 'flag', 'unix:///var/run/docker.sock'),
    option('live-restore', null, 'default', 'false'),
  ],
  findings: [],
  staged: [],
  catalog: [
    {
      key: 'bip',
      kind: 'address-cidr',
      flag: '--bip',
      description: "the bridge's own address and subnet",
      defaultText: 'picked by dockerd',
    },
  ],
  backups: [{ id: '20250115T130000Z', at: '2025-01-15T13:00:00.000Z', files: ['/etc/docker/daemon.json'] }],
  applying: null,
  impact: {
    liveRestore: false,
    running: [
      { id: 'a1b2c3d4e5f6'.padEnd(64, '0'), name: 'web' },
      { id: 'b2c3d4e5f6a1'.padEnd(64, '0'), name: 'db' },
    ],
  },
};

/**
 * Checks in trouble, as the agent reports them: one down for 10 s (it answered 0.3 ms before), one whose
 * source container stopped (no probe for 30 s: unknown, with why), one not probed yet, one answering.
 */
export function troublePings(): PingCheck[] {
  const at = (ms: number): string => new Date(NOW - ms).toISOString();
  const empty = { seconds: 10, sent: 0, received: 0, lossPct: 0, rttMs: null };
  return [
    pingChecks[0]!,
    {
      id: 'a-web-three',
      kind: 'auto',
      from: 'web',
      target: '172.25.11.41',
      peer: '198.18.0.3',
      label: 'web -> peer three (198.18.0.3)',
      state: 'down',
      since: at(10_000),
      lastRttMs: 0.3,
      window: { seconds: 10, sent: 20, received: 0, lossPct: 100, rttMs: null },
      history: probes([0.2, 0.3, ...Array<null>(22).fill(null)]).map((p) => ({ ...p, t: p.t + 1000 })),
      error: null,
    },
    {
      id: 'u-cache-db',
      kind: 'user',
      from: 'cache',
      target: '172.25.11.24',
      peer: null,
      label: 'cache -> 172.25.11.24',
      state: 'unknown',
      since: at(27_000),
      lastRttMs: 0.2,
      window: empty,
      history: probes([0.2, 0.2, 0.2]).map((p) => ({ ...p, t: p.t - 30_000 })),
      error: 'fping exited: cache is not running',
    },
    {
      id: 'u-db-new',
      kind: 'user',
      from: 'db',
      target: '172.25.11.77',
      peer: null,
      label: 'db -> 172.25.11.77',
      state: 'pending',
      since: at(1_000),
      lastRttMs: null,
      window: empty,
      history: [],
      error: null,
    },
  ];
}

/**
 * The automatic check of a peer whose path is narrower than the overlay MTU: small probes answer, full-size
 * ones (1450 bytes, don't-fragment) are all lost; `mtuToSet` from the path MTU probe, or null before it has one.
 */
export function fullSizeDown(mtuToSet: number | null): PingCheck {
  const why = `1450-byte packets do not cross; ${
    mtuToSet !== null
      ? `set the overlay MTU to ${mtuToSet}: xnet-tui launch --mtu ${mtuToSet}`
      : 'set a smaller overlay MTU (the path MTU probe is measuring which): xnet-tui launch --mtu N'
  }`;
  return {
    id: 'a-host-198.18.0.2',
    kind: 'auto',
    from: null,
    target: 'fe80::1%xnet',
    peer: '198.18.0.2',
    label: 'host -> peer two (198.18.0.2)',
    state: 'down',
    since: new Date(NOW - 4_000).toISOString(),
    lastRttMs: 0.12,
    window: { seconds: 10, sent: 20, received: 20, lossPct: 0, rttMs: { min: 0.1, avg: 0.12, max: 0.2 } },
    history: probes([0.1, 0.12, 0.2, 0.12]),
    why,
    fullSize: {
      packetBytes: 1450,
      state: 'down',
      window: { seconds: 10, sent: 20, received: 0, lossPct: 100, rttMs: null },
      mtuToSet,
    },
    error: null,
  };
}
