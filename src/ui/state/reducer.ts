import type { ContainerRow, DoctorCheck, HealthEvent, PeerRates, PmtuPeer } from '../../api/index.js';
import type { RouterStatus } from '../../router/driver.js';
import { peerSince } from '../../router/peer-since.js';
import { mergeCapture, type CaptureUpdate } from './capture.js';
import type { DockerdCheck, DockerdEditor } from './dockerd.js';
import { tabOrderFor } from '../compute/layout.js';
import { nextPane, type PaneId } from '../compute/panes.js';
import { pushRates, ratesBetween, type CounterSample } from '../compute/rates.js';
import type {
  AgentStatus,
  Connection,
  Dialog,
  Feature,
  PingCheckRow,
  SplitState,
  UIEvent,
  UIState,
} from './model.js';
import { rowCount, selectedIndex } from './rows.js';

export type Action =
  | { type: 'connection'; connection: Connection }
  | { type: 'status'; status: AgentStatus }
  | { type: 'containers'; containers: ContainerRow[] }
  | { type: 'counters'; sample: CounterSample }
  | { type: 'countersUnavailable'; reason: string }
  | { type: 'event'; event: UIEvent }
  | { type: 'focus'; pane: PaneId }
  | { type: 'cyclePane'; step: 1 | -1 }
  /** The terminal's size changed: Tab follows the panes where the layout now puts them. */
  | { type: 'size'; cols: number; rows: number }
  | { type: 'move'; delta: number }
  | { type: 'dialog'; dialog: Dialog | undefined }
  | { type: 'dialogFailed'; message: string; hint?: string }
  | { type: 'editFilter'; editing: boolean }
  | { type: 'setFilter'; text: string }
  | { type: 'tick'; now: number }
  | { type: 'router'; router: Feature<RouterStatus>; at?: number }
  | { type: 'pings'; pings: Feature<PingCheckRow[]> }
  | { type: 'peerRates'; peerRates: Feature<PeerRates[]> }
  /** Health events the agent handed out since the last call (`latest`: its newest seq). */
  | { type: 'health'; events: HealthEvent[]; latest: number }
  | { type: 'pmtu'; peers: PmtuPeer[] }
  /** The preflight's answer, merged into the doctor view if it is still open. */
  | { type: 'doctor'; checks?: DoctorCheck[]; error?: string }
  | { type: 'split'; split: SplitState }
  /** Merged into the dockerd editor if it is still open. */
  | { type: 'dockerd'; update: Partial<Omit<DockerdEditor, 'kind'>> }
  /** The agent's verdict on a typed value; dropped if the operator has typed on since. */
  | { type: 'dockerdCheck'; check: DockerdCheck }
  /** The agent's answer for the capture view; dropped if the view closed or its filter changed since. */
  | { type: 'capture'; update: CaptureUpdate };

/** A feature that is still unavailable for the same reason is the same state (no re-render, no bytes). */
function feature<T>(old: Feature<T>, next: Feature<T>): Feature<T> {
  return !old.available && !next.available && old.reason === next.reason ? old : next;
}

const MAX_EVENTS = 50;
/** As many as the agent keeps. */
const MAX_HEALTH = 300;

/** A health event as the event line shows it: at the agent's time, in the agent's words. */
export function uiEventOf(e: HealthEvent): UIEvent {
  return { at: Date.parse(e.at), level: e.level, text: e.text };
}

/** Every change to what the screen shows goes through here; pure, so key handling and data are testable. */
export function reducer(s: UIState, a: Action): UIState {
  switch (a.type) {
    case 'connection': {
      const c = a.connection;
      if (c.state === s.connection.state && c.socket === s.connection.socket && c.state !== 'down') return s;
      if (c.state === 'down' && s.connection.state === 'down') return s;
      return { ...s, connection: c };
    }
    case 'status':
      return { ...s, status: a.status };
    case 'containers':
      return { ...s, containers: a.containers };
    case 'counters': {
      const prev = s.traffic.last;
      // The agent hands out its last reading: asked twice within one, it answers the same one again.
      if (prev && a.sample.at <= prev.at) return s;
      const rates = prev ? ratesBetween(prev, a.sample) : new Map();
      return {
        ...s,
        traffic: {
          unavailable: undefined,
          last: a.sample,
          rates,
          history: prev ? pushRates(s.traffic.history, rates, a.sample.at) : s.traffic.history,
        },
      };
    }
    case 'countersUnavailable':
      if (s.traffic.unavailable === a.reason) return s;
      return {
        ...s,
        traffic: { unavailable: a.reason, last: undefined, rates: new Map(), history: new Map() },
      };
    case 'event': {
      // The same message again (a poll failing every second) would only rewrite the event line.
      const prev = s.events[s.events.length - 1];
      if (prev && prev.text === a.event.text && prev.level === a.event.level) return s;
      return { ...s, events: [...s.events, a.event].slice(-MAX_EVENTS) };
    }
    case 'focus':
      return { ...s, focus: a.pane, editingFilter: false };
    case 'cyclePane':
      return { ...s, focus: nextPane(s.focus, a.step, s.paneOrder), editingFilter: false };
    case 'size': {
      const order = tabOrderFor(a.cols, a.rows);
      return order.join() === s.paneOrder.join() ? s : { ...s, paneOrder: order };
    }
    case 'move': {
      const n = rowCount(s, s.focus);
      const at = Math.max(0, Math.min(n - 1, selectedIndex(s, s.focus) + a.delta));
      return { ...s, selected: { ...s.selected, [s.focus]: at } };
    }
    case 'dialog':
      return { ...s, dialog: a.dialog };
    case 'dialogFailed': {
      const d = s.dialog;
      if (!d || !('busy' in d)) return s;
      return {
        ...s,
        dialog: { ...d, busy: false, error: a.message, ...(d.kind === 'launch' ? { hint: a.hint } : {}) },
      };
    }
    case 'editFilter':
      return { ...s, editingFilter: a.editing };
    case 'setFilter':
      return {
        ...s,
        filters: { ...s.filters, [s.focus]: a.text },
        selected: { ...s.selected, [s.focus]: 0 },
      };
    case 'router': {
      const router = feature(s.router, a.router);
      // The read time only where the pane shows ages from it: an idle mesh without them stays the same state.
      const timed = a.router.available && a.router.data.peers.some((p) => peerSince(p) !== undefined);
      const routerAt = timed && a.at !== undefined ? a.at : s.routerAt;
      return router === s.router && routerAt === s.routerAt ? s : { ...s, router, routerAt };
    }
    case 'pings': {
      const pings = feature(s.pings, a.pings);
      return pings === s.pings ? s : { ...s, pings };
    }
    case 'peerRates': {
      const peerRates = feature(s.peerRates, a.peerRates);
      return peerRates === s.peerRates ? s : { ...s, peerRates };
    }
    case 'health': {
      // An agent whose numbering went back (its state dir is new) starts the list over.
      const kept = a.latest < s.health.latest ? [] : s.health.events;
      const have = kept.at(-1)?.seq ?? 0;
      const fresh = a.events.filter((e) => e.seq > have);
      if (fresh.length === 0 && a.latest === s.health.latest) return s;
      const newest = fresh.at(-1);
      return {
        ...s,
        health: { events: [...kept, ...fresh].slice(-MAX_HEALTH), latest: a.latest },
        events: newest ? [...s.events, uiEventOf(newest)].slice(-MAX_EVENTS) : s.events,
      };
    }
    case 'pmtu':
      // Probed every 10 s: an unchanged answer is the same state (no re-render).
      return JSON.stringify(a.peers) === JSON.stringify(s.pmtu) ? s : { ...s, pmtu: a.peers };
    case 'doctor':
      return s.dialog?.kind === 'doctor'
        ? {
            ...s,
            dialog: {
              kind: 'doctor',
              scroll: 0,
              ...(a.checks ? { checks: a.checks } : {}),
              ...(a.error ? { error: a.error } : {}),
            },
          }
        : s;
    case 'split':
      return { ...s, split: a.split };
    case 'dockerd':
      return s.dialog?.kind === 'dockerd' ? { ...s, dialog: { ...s.dialog, ...a.update } } : s;
    case 'dockerdCheck': {
      const d = s.dialog;
      if (d?.kind !== 'dockerd' || d.phase !== 'edit' || d.input !== a.check.input) return s;
      return { ...s, dialog: { ...d, check: a.check } };
    }
    case 'capture': {
      if (s.dialog?.kind !== 'capture') return s;
      const dialog = mergeCapture(s.dialog, a.update);
      return dialog === s.dialog ? s : { ...s, dialog };
    }
    case 'tick': {
      const minute = Math.floor(a.now / 60_000);
      return minute === s.minute ? s : { ...s, minute };
    }
  }
}
