import { useEffect, useMemo, useRef, type Dispatch } from 'react';
import type { Method, Params, Result } from '../../api/index.js';
import { XnetError } from '../../errors.js';
import { peerRatesFeature, splitOf } from '../state/counters.js';
import type { Feature } from '../state/model.js';
import type { Action } from '../state/reducer.js';
import { agentActions, eventOf as event, withTimeout, type AgentActions } from './agentActions.js';
import { defaultKeyBindings, type KeyBindings } from '../keys/keyBindings.js';

/** The slice of AgentConnection the UI uses; tests hand in a fake. */
export interface AgentLink {
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>>;
  close(): void;
}
export type Connect = () => Promise<AgentLink>;

export interface PollOptions {
  socket: string;
  /** How often the panes are refreshed, and how often a lost agent is retried. */
  intervalMs?: number;
  /** A call that takes longer means the agent is wedged: treat it as gone. */
  timeoutMs?: number;
  /** The keymap, so the actions' messages name the keys the operator has. */
  bindings?: KeyBindings;
}

/** A feature the agent may not have (an older agent, telemetry not built): its data, or why not. */
async function optional<T>(p: Promise<T>, why: (msg: string) => string): Promise<Feature<T>> {
  try {
    return { available: true, data: await p };
  } catch (err) {
    if (!(err instanceof XnetError)) throw err;
    // An agent older than this UI does not have the method: say that, not the protocol's words.
    const msg =
      err.code === 'not_offered' ? 'this agent does not offer it (older than this UI?)' : err.message;
    return { available: false, reason: why(msg) };
  }
}

/**
 * Owns the agent connection: polls status, containers, interface counters, the router, ping checks and
 * per-peer rates once a second, reports a lost agent as `down` and keeps reconnecting until it returns. An
 * error the agent answers with (a failed call) goes to the event line and changes nothing else; a feature the
 * agent does not offer (telemetry not built) makes its pane say so.
 */
export function useAgent(connect: Connect, dispatch: Dispatch<Action>, opts: PollOptions): AgentActions {
  const { socket, intervalMs = 1_000, timeoutMs = 5_000, bindings = defaultKeyBindings } = opts;
  const link = useRef<AgentLink | undefined>(undefined);
  const refreshNow = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let wasDown = false;
    let running = false;
    /** The newest health event seen: each poll asks only for those after it. */
    let healthSince = 0;

    const lost = (reason: string): void => {
      link.current?.close();
      link.current = undefined;
      if (!wasDown) dispatch(event('error', `lost the agent: ${reason}`));
      wasDown = true;
      dispatch({ type: 'connection', connection: { state: 'down', socket, since: Date.now(), reason } });
    };

    const refresh = async (l: AgentLink): Promise<void> => {
      const [status, containers] = await withTimeout(
        Promise.all([l.call('status', {}), l.call('containers', {})]),
        timeoutMs,
      );
      dispatch({ type: 'status', status });
      dispatch({ type: 'containers', containers: containers.containers });
      const [counters, router, pings, rates] = await withTimeout(
        Promise.all([
          optional(l.call('interfaces', {}), (m) => `no interface counters from the agent: ${m}`),
          optional(l.call('router', {}), (m) => `router: the agent did not say (${m})`),
          optional(l.call('pings', {}), (m) => `ping checks: ${m}`),
          optional(l.call('rates', { seconds: 60 }), (m) => `per peer: ${m}`),
        ]),
        timeoutMs,
      );
      if (counters.available)
        dispatch({
          type: 'counters',
          sample: { at: counters.data.at, interfaces: counters.data.interfaces },
        });
      else dispatch({ type: 'countersUnavailable', reason: counters.reason });
      dispatch({ type: 'router', router, at: Date.now() });
      dispatch({
        type: 'pings',
        pings: pings.available ? { available: true, data: pings.data.checks } : pings,
      });
      await refreshHealth(l);
      const pmtu = await optional(withTimeout(l.call('pmtu', {}), timeoutMs), (m) => `pmtu: ${m}`);
      if (pmtu.available) dispatch({ type: 'pmtu', peers: pmtu.data.peers });
      dispatch({
        type: 'peerRates',
        peerRates: rates.available ? peerRatesFeature(rates.data) : rates,
      });
      if (rates.available) dispatch({ type: 'split', split: splitOf(rates.data) });
    };

    const refreshHealth = async (l: AgentLink): Promise<void> => {
      const ask = (since: number) =>
        optional(withTimeout(l.call('events', { since }), timeoutMs), (m) => `events: ${m}`);
      let got = await ask(healthSince);
      // A smaller newest seq: a new agent (new state dir) numbering from 1 again.
      if (got.available && got.data.latest < healthSince) got = await ask(0);
      if (!got.available) return;
      healthSince = got.data.latest;
      dispatch({ type: 'health', events: got.data.events, latest: got.data.latest });
    };

    const tick = async (): Promise<void> => {
      if (running || stopped) return;
      running = true;
      try {
        if (!link.current) {
          try {
            link.current = await connect();
          } catch (err) {
            lost((err as Error).message);
            return;
          }
          dispatch({ type: 'connection', connection: { state: 'up', socket } });
          if (wasDown) dispatch(event('ok', 'the agent is back'));
          wasDown = false;
        }
        try {
          await refresh(link.current);
        } catch (err) {
          if (err instanceof XnetError) dispatch(event('error', err.message));
          else lost((err as Error).message);
        }
      } finally {
        running = false;
        if (!stopped) {
          clearTimeout(timer);
          timer = setTimeout(() => void tick(), intervalMs);
        }
      }
    };

    refreshNow.current = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void tick(), 0);
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
      link.current?.close();
      link.current = undefined;
    };
  }, [connect, dispatch, socket, intervalMs, timeoutMs]);

  return useMemo<AgentActions>(
    () =>
      agentActions(
        // Read when an action runs (a key press), never during render: the link of that moment.
        // eslint-disable-next-line react-hooks/refs
        () => link.current,
        dispatch,
        // eslint-disable-next-line react-hooks/refs
        () => refreshNow.current(),
        bindings,
      ),
    [dispatch, bindings],
  );
}
