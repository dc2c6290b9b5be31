import type { ContainerRow, Result } from '../../agent/api/index.js';
import type { PaneId } from '../model/panes.js';
import type { CounterSample, Rate, Series } from '../model/rates.js';

export type AgentStatus = Result<'status'>;

export type Connection =
  | { state: 'connecting'; socket: string }
  | { state: 'up'; socket: string }
  | { state: 'down'; socket: string; since: number; reason: string };

/** A pane's data source: either there and its rows, or not, with the plain reason the pane shows. */
export type Feature<T> = { available: true; data: T } | { available: false; reason: string };

/** What the Peers pane shows once the mesh router exists (src/router); the shape it will plug into. */
export interface PeerRow {
  name: string;
  nickname: string;
  address: string;
  gossip: 'alive' | 'suspect' | 'failed' | 'left';
  dataPlane: 'ok' | 'unreachable' | 'mtu' | 'unknown';
}

/** What the Ping checks pane shows once telemetry exists (src/telemetry). */
export interface PingCheckRow {
  source: string;
  target: string;
  lastRttMs: number | null;
  loss: number;
  history: (number | null)[];
}

export interface UIEvent {
  at: number;
  level: 'info' | 'ok' | 'error';
  text: string;
}

/** What a confirmed dialog does. */
export type Intent = { kind: 'detach'; container: string; cidrs: string[] };

export type Dialog =
  | { kind: 'help' }
  | { kind: 'details'; pane: PaneId; row: string }
  | { kind: 'attachPick'; selected: number }
  | { kind: 'attachCidr'; container: string; input: string; busy: boolean; error?: string }
  | { kind: 'confirm'; title: string; message: string; intent: Intent; busy: boolean; error?: string }
  | {
      kind: 'typeConfirm';
      title: string;
      message: string;
      expect: string;
      typed: string;
      intent: Intent;
      busy: boolean;
      error?: string;
    }
  | { kind: 'unavailable'; title: string; message: string };

export interface TrafficState {
  /** Why there are no counters, when there are none. */
  unavailable: string | undefined;
  last: CounterSample | undefined;
  rates: Map<string, Rate>;
  history: Map<string, Series>;
}

export interface UIState {
  /** Which host this is, as the operator named it (`h1 (lab)`, or the hostname). */
  host: string;
  connection: Connection;
  status: AgentStatus | undefined;
  containers: ContainerRow[];
  traffic: TrafficState;
  peers: Feature<PeerRow[]>;
  pings: Feature<PingCheckRow[]>;
  events: UIEvent[];
  focus: PaneId;
  selected: Record<PaneId, number>;
  filters: Record<PaneId, string>;
  /** The focused pane's filter is being typed. */
  editingFilter: boolean;
  dialog: Dialog | undefined;
  /** Minutes since the epoch: the header clock changes once a minute, so an idle screen writes nothing. */
  minute: number;
}

/** Until src/router and src/telemetry land, their panes say so instead of showing numbers. */
export const NOT_BUILT = {
  peers: 'router not launched: the mesh router is not built yet, so no peers',
  pings: 'ping checks: not built yet (telemetry is coming)',
  peerTraffic: 'per peer: not built yet (needs the mesh router)',
  launch: 'Launching the mesh router is not built yet; `xnet-tui launch` will come with it.',
  connect: 'Connecting peers needs the mesh router, which is not built yet.',
  forget: 'Forgetting peers needs the mesh router, which is not built yet.',
  reset: 'Resetting the router needs the mesh router, which is not built yet.',
  addPing: 'Ping checks are not built yet (telemetry).',
  dockerd: 'Changing dockerd options from the UI is not built yet; `xnet-tui dockerd` will come first.',
} as const;

export function initialState(host: string, socket: string, now = Date.now()): UIState {
  return {
    host,
    connection: { state: 'connecting', socket },
    status: undefined,
    containers: [],
    traffic: { unavailable: undefined, last: undefined, rates: new Map(), history: new Map() },
    peers: { available: false, reason: NOT_BUILT.peers },
    pings: { available: false, reason: NOT_BUILT.pings },
    events: [],
    focus: 'containers',
    selected: { peers: 0, containers: 0, traffic: 0, pings: 0 },
    filters: { peers: '', containers: '', traffic: '', pings: '' },
    editingFilter: false,
    dialog: undefined,
    minute: Math.floor(now / 60_000),
  };
}
