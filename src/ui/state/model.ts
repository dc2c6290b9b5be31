import type {
  ContainerRow,
  DoctorCheck,
  HealthEvent,
  PeerRates,
  PingCheck,
  PmtuPeer,
  Result,
} from '../../api/index.js';
import type { CounterSource, OtherRates, RateSample } from '../../api/telemetry.js';
import { describeDriver } from '../../router/descriptions.js';
import type { DriverName, PeerStatus, RouterStatus } from '../../router/driver.js';
import type { CaptureView } from './capture.js';
import type { DockerdEditor } from './dockerd.js';
import type { PaneId } from '../compute/panes.js';
import type { CounterSample, Rate, Series } from '../compute/rates.js';
import { tabOrderFor } from '../compute/layout.js';

export type AgentStatus = Result<'status'>;

export type Connection =
  | { state: 'connecting'; socket: string }
  | { state: 'up'; socket: string }
  | { state: 'down'; socket: string; since: number; reason: string };

/** A pane's data source: either there and its rows, or not, with the plain reason the pane shows. */
export type Feature<T> = { available: true; data: T } | { available: false; reason: string };

/** A row of the Peers pane: a mesh member as the router reports it (gossip and data plane measured apart). */
export type PeerRow = PeerStatus;

/** A row of the Ping checks pane, as telemetry reports it. */
export type PingCheckRow = PingCheck;

export interface UIEvent {
  at: number;
  level: 'info' | 'ok' | 'warn' | 'error';
  text: string;
}

/** What a confirmed dialog does. */
export type Intent =
  | { kind: 'detach'; container: string; cidrs: string[] }
  | { kind: 'reset' }
  | { kind: 'rotateKey'; passwordFile: string };

/** The launch form's fields, as typed. */
export interface LaunchForm {
  driver: DriverName;
  nickname: string;
  range: string;
  /** Underlay addresses, separated by spaces or commas. */
  peers: string;
  passwordFile: string;
  /** This host's own container subnet, for drivers that route per-host subnets. */
  subnet: string;
  /** The overlay MTU, empty for the default (underlay - 50). */
  mtu: string;
}
export type LaunchField = keyof LaunchForm;
/** The fields the form shows for a driver, in order: the driver first, then those its description lists. */
export function launchFields(driver: DriverName): readonly LaunchField[] {
  return ['driver', ...describeDriver(driver).launch.map((f) => f.key)];
}

export type Dialog =
  | { kind: 'help' }
  /** The agent's health events, newest at the bottom; `scroll` lines up from the newest. */
  | { kind: 'events'; scroll: number }
  /** The preflight's findings (`xnet-tui doctor`), asked for when opened; `checks` absent while asking. */
  | { kind: 'doctor'; checks?: DoctorCheck[]; error?: string; scroll: number }
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
  | { kind: 'launch'; form: LaunchForm; field: number; busy: boolean; error?: string; hint?: string }
  | { kind: 'connect'; input: string; busy: boolean; error?: string }
  /** The new password file for rotate-key; Enter asks for the host name before anything changes. */
  | { kind: 'rotateKey'; input: string; busy: boolean; error?: string }
  | { kind: 'forget'; targets: string[]; selected: number; busy: boolean; error?: string }
  | { kind: 'addPing'; from: string; target: string; field: number; busy: boolean; error?: string }
  | CaptureView
  | DockerdEditor;

export interface TrafficState {
  /** Why there are no counters, when there are none. */
  unavailable: string | undefined;
  last: CounterSample | undefined;
  rates: Map<string, Rate>;
  history: Map<string, Series>;
}

/**
 * The kernel counters' own view of this host (telemetry's `rates`): packets and the protocol split per second
 * for the bridge (rx delivered to the containers, tx sent by them, as `status rates` says) and each container.
 */
export interface SplitState {
  source: CounterSource | undefined;
  bridge: RateSample[];
  /** By container name (under the bridge driver, dockerd's own containers too). */
  containers: Map<string, RateSample[]>;
  /** Non-members, where peers are told apart by LAN address (bridge driver): gateway, LAN, this host. */
  others?: OtherRates[];
}

export interface UIState {
  /** Which host this is, as the operator named it (`h1 (lab)`, or the hostname). */
  host: string;
  connection: Connection;
  status: AgentStatus | undefined;
  containers: ContainerRow[];
  traffic: TrafficState;
  router: Feature<RouterStatus>;
  pings: Feature<PingCheckRow[]>;
  /** Per-peer traffic captured on the underlay (telemetry's `rates`). */
  peerRates: Feature<PeerRates[]>;
  split: SplitState;
  events: UIEvent[];
  /** The agent's health events (peers, MTU, checks, telemetry, dockerd, drift), oldest first. */
  health: { events: HealthEvent[]; latest: number };
  /** Telemetry's path MTU per peer (empty until it answers): the number to set when a path is smaller. */
  pmtu: PmtuPeer[];
  focus: PaneId;
  /** Tab order: the panes as the current layout places them (set from the terminal size). */
  paneOrder: PaneId[];
  selected: Record<PaneId, number>;
  filters: Record<PaneId, string>;
  /** The focused pane's filter is being typed. */
  editingFilter: boolean;
  dialog: Dialog | undefined;
  /** Minutes since the epoch: the header clock changes once a minute, so an idle screen writes nothing. */
  minute: number;
  /** When the router's status was read, while its peers carry a since: the Peers pane's ages are taken then. */
  routerAt: number;
}

/** What the panes say before the agent has answered for them. */
export const WAITING = {
  router: 'asking the agent about the mesh router…',
  pings: 'asking the agent for ping checks…',
  peerRates: 'per peer: asking the agent for captured rates…',
} as const;

export function initialState(host: string, socket: string, now = Date.now()): UIState {
  return {
    host,
    connection: { state: 'connecting', socket },
    status: undefined,
    containers: [],
    traffic: { unavailable: undefined, last: undefined, rates: new Map(), history: new Map() },
    router: { available: false, reason: WAITING.router },
    pings: { available: false, reason: WAITING.pings },
    peerRates: { available: false, reason: WAITING.peerRates },
    split: { source: undefined, bridge: [], containers: new Map() },
    events: [],
    health: { events: [], latest: 0 },
    pmtu: [],
    focus: 'containers',
    paneOrder: tabOrderFor(80, 24),
    selected: { peers: 0, containers: 0, traffic: 0, pings: 0 },
    filters: { peers: '', containers: '', traffic: '', pings: '' },
    editingFilter: false,
    dialog: undefined,
    minute: Math.floor(now / 60_000),
    routerAt: now,
  };
}
