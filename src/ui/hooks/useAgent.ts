import { useEffect, useMemo, useRef, type Dispatch } from 'react';
import type { Method, Params, Result } from '../../agent/api/index.js';
import { XnetError } from '../../errors.js';
import type { Action } from '../state/reducer.js';

/** The slice of AgentConnection the UI uses; tests hand in a fake. */
export interface AgentLink {
  call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>>;
  close(): void;
}
export type Connect = () => Promise<AgentLink>;

export interface AgentActions {
  attach(container: string, cidr: string): Promise<void>;
  detach(container: string, cidrs: string[]): Promise<void>;
}

export interface PollOptions {
  socket: string;
  /** How often the panes are refreshed, and how often a lost agent is retried. */
  intervalMs?: number;
  /** A call that takes longer means the agent is wedged: treat it as gone. */
  timeoutMs?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const event = (level: 'info' | 'ok' | 'error', text: string): Action => ({
  type: 'event',
  event: { at: Date.now(), level, text },
});

/**
 * Owns the agent connection: polls status, containers and interface counters once a second, reports a lost
 * agent as `down` and keeps reconnecting until it returns. An error the agent answers with (a failed call) goes
 * to the event line and changes nothing else. New data sources (peers, ping checks) plug in beside `refresh`.
 */
export function useAgent(connect: Connect, dispatch: Dispatch<Action>, opts: PollOptions): AgentActions {
  const { socket, intervalMs = 1_000, timeoutMs = 5_000 } = opts;
  const link = useRef<AgentLink | undefined>(undefined);
  const refreshNow = useRef<() => void>(() => undefined);

  useEffect(() => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let wasDown = false;
    let running = false;

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
      try {
        const counters = await withTimeout(l.call('interfaces', {}), timeoutMs);
        dispatch({ type: 'counters', sample: { at: counters.at, interfaces: counters.interfaces } });
      } catch (err) {
        if (!(err instanceof XnetError)) throw err;
        dispatch({
          type: 'countersUnavailable',
          reason: `no interface counters from the agent: ${err.message}`,
        });
      }
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

  return useMemo<AgentActions>(() => {
    const run = async (what: string, fn: (l: AgentLink) => Promise<string>): Promise<void> => {
      const l = link.current;
      if (!l) {
        dispatch({ type: 'dialogFailed', message: 'the agent is not connected; try again when it is back' });
        return;
      }
      try {
        const done = await withTimeout(fn(l), 30_000);
        dispatch({ type: 'dialog', dialog: undefined });
        dispatch(event('ok', done));
      } catch (err) {
        const e = err as XnetError;
        const text = `${what}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`;
        dispatch({ type: 'dialogFailed', message: text });
        dispatch(event('error', text));
      }
      refreshNow.current();
    };
    return {
      attach: (container, cidr) =>
        run(`attach ${cidr} ${container}`, async (l) => {
          const r = await l.call('attach', { cidrs: [cidr], container });
          return r.added.length
            ? `attached ${r.added.join(', ')} to ${container} (${r.attachment.ifname})`
            : `${container} already had ${r.alreadyPresent.join(', ')}`;
        }),
      detach: (container, cidrs) =>
        run(`detach ${container}`, async (l) => {
          const r = await l.call('detach', { cidrs, container });
          return `detached ${r.removed.join(', ') || 'nothing'} from ${container}${r.interfaceRemoved ? ', interface removed' : ''}`;
        }),
    };
  }, [dispatch]);
}
