import type { ContainerRow, InterfaceCounters } from '../../src/agent/api/index.js';
import { initialState, type AgentStatus, type UIState } from '../../src/ui/state/model.js';
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
