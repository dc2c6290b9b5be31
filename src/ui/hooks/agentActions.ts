import type { Dispatch } from 'react';
import { formatValue, type OptionValue } from '../../docker/config/options.js';
import { XnetError } from '../../errors.js';
import type { Effect } from '../keys/handleKey.js';
import { splitPeers } from '../keys/dialogKeys.js';
import { changesOf, editsFromStaged, progressText, type DockerdCheck } from '../state/dockerd.js';
import { launchFields } from '../state/model.js';
import type { Action } from '../state/reducer.js';
import type { AgentLink } from './useAgent.js';

/** Effects that need the agent (quit is the keyboard's own). */
export type AgentEffect = Exclude<Effect, { kind: 'quit' }>;

export interface AgentActions {
  perform(effect: AgentEffect): Promise<void>;
  /** Live validation of one value being typed in the dockerd editor (the hook debounces). */
  checkDockerd(key: string, input: string, edits: Record<string, string | null>): Promise<void>;
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const eventOf = (level: 'info' | 'ok' | 'error', text: string): Action => ({
  type: 'event',
  event: { at: Date.now(), level, text },
});

const fmt = (v: unknown): string => formatValue(v as OptionValue | undefined);
const messageOf = (err: unknown): string => {
  const e = err as XnetError;
  return `${e.message}${e instanceof XnetError && e.hint ? ` (${e.hint})` : ''}`;
};
/** How long a restart of dockerd may take: its own timeout, then a rollback's. */
const APPLY_MS = 200_000;

const RESET_NEEDED =
  'Switching drivers needs a reset first: Esc, then R on the Peers pane resets the router (attachments stay); then l launches the new driver.';

/**
 * What the keys ask of the agent. Dialog actions close their dialog and report on the event line when done;
 * a failure stays in the dialog with the agent's words and goes to the event line too.
 */
export function agentActions(
  link: () => AgentLink | undefined,
  dispatch: Dispatch<Action>,
  refreshNow: () => void,
): AgentActions {
  const run = async (what: string, fn: (l: AgentLink) => Promise<string>, ms = 30_000): Promise<void> => {
    const l = link();
    if (!l) {
      dispatch({ type: 'dialogFailed', message: 'the agent is not connected; try again when it is back' });
      return;
    }
    try {
      const done = await withTimeout(fn(l), ms);
      dispatch({ type: 'dialog', dialog: undefined });
      dispatch(eventOf('ok', done));
    } catch (err) {
      const text = `${what}: ${messageOf(err)}`;
      const hint = /needs a reset first/.test((err as Error).message) ? RESET_NEEDED : undefined;
      dispatch({ type: 'dialogFailed', message: text, ...(hint ? { hint } : {}) });
      dispatch(eventOf('error', text));
    }
    refreshNow();
  };
  const dockerd = async (fn: (l: AgentLink) => Promise<void>, what: string): Promise<void> => {
    const l = link();
    if (!l) {
      dispatch({ type: 'dockerd', update: { phase: 'list', error: 'the agent is not connected' } });
      return;
    }
    try {
      await fn(l);
    } catch (err) {
      const text = `${what}: ${messageOf(err)}`;
      dispatch({ type: 'dockerd', update: { phase: 'list', error: text } });
      dispatch(eventOf('error', text));
    }
  };
  const loadDockerd = (l: AgentLink): Promise<void> =>
    withTimeout(l.call('dockerd.show', {}), 30_000).then((view) =>
      dispatch({ type: 'dockerd', update: { view } }),
    );

  /** Apply or rollback, with the agent's phase polled for the progress view while dockerd restarts. */
  const restart = async (
    l: AgentLink,
    verb: 'apply' | 'rollback',
    call: () => Promise<unknown>,
  ): Promise<void> => {
    const poll = setInterval(() => {
      void l
        .call('dockerd.show', {})
        .then(
          (v) =>
            v.applying &&
            dispatch({ type: 'dockerd', update: { progress: progressText(v.applying, Date.now()) } }),
        )
        .catch(() => undefined);
    }, 1_000);
    try {
      const result = (await withTimeout(call(), APPLY_MS)) as Awaited<
        ReturnType<typeof l.call<'dockerd.apply'>>
      >;
      dispatch({ type: 'dockerd', update: { phase: 'result', result, edits: {} } });
      dispatch(
        result.outcome === 'applied'
          ? eventOf('ok', `dockerd ${verb}: done, dockerd is healthy`)
          : eventOf('error', `dockerd ${verb} failed (${result.outcome}): ${result.reason ?? ''}`),
      );
    } finally {
      clearInterval(poll);
    }
    await loadDockerd(l).catch(() => undefined);
    refreshNow();
  };

  return {
    async perform(e: AgentEffect): Promise<void> {
      switch (e.kind) {
        case 'attach':
          return run(`attach ${e.cidr} ${e.container}`, async (l) => {
            const r = await l.call('attach', { cidrs: [e.cidr], container: e.container });
            return r.added.length
              ? `attached ${r.added.join(', ')} to ${e.container} (${r.attachment.ifname})`
              : `${e.container} already had ${r.alreadyPresent.join(', ')}`;
          });
        case 'detach':
          return run(`detach ${e.container}`, async (l) => {
            const r = await l.call('detach', { cidrs: e.cidrs, container: e.container });
            return `detached ${r.removed.join(', ') || 'nothing'} from ${e.container}${r.interfaceRemoved ? ', interface removed' : ''}`;
          });
        case 'launch': {
          const f = e.form;
          const shown = launchFields(f.driver); // what the form asked for this driver is what is sent
          return run(
            `launch ${f.driver}`,
            async (l) => {
              const r = await l.call('launch', {
                driver: f.driver,
                ...(f.nickname.trim() ? { nickname: f.nickname.trim() } : {}),
                ...(shown.includes('range') && f.range.trim() ? { range: f.range.trim() } : {}),
                ...(shown.includes('subnet') && f.subnet.trim() ? { subnet: f.subnet.trim() } : {}),
                ...(f.passwordFile.trim() ? { passwordFile: f.passwordFile.trim() } : {}),
                peers: splitPeers(f.peers),
              });
              for (const w of r.warnings) dispatch(eventOf('info', `launch: warning: ${w}`));
              const failed = r.router.connections.filter((c) => c.state === 'failed');
              for (const c of failed)
                dispatch(eventOf('error', `could not connect to ${c.target}: ${c.error ?? ''}`));
              return `router ${r.router.driver} ${r.router.state}${r.router.nickname ? ` as ${r.router.nickname}` : ''}${r.router.encrypted ? ', encrypted' : ''}`;
            },
            60_000,
          );
        }
        case 'connect':
          return run(`connect ${e.peers.join(' ')}`, async (l) => {
            const r = await l.call('connect', { peers: e.peers });
            const failed = r.connections.filter((c) => c.state === 'failed');
            if (failed.length)
              throw new Error(
                failed
                  .map((c) => `could not connect to ${c.target}: ${c.error ?? c.reason ?? ''}`)
                  .join('; '),
              );
            return r.connections
              .map((c) =>
                c.state === 'established'
                  ? `connected to ${c.target}`
                  : `${c.target}: ${c.state}${c.reason ? ` (${c.reason})` : ''}`,
              )
              .join('; ');
          });
        case 'forget':
          return run(`forget ${e.peers.join(' ')}`, async (l) => {
            const r = await l.call('forget', { peers: e.peers });
            return r.forgotten.length
              ? `forgot ${r.forgotten.join(', ')}`
              : `${r.unknown.join(', ')} was not a connection target; nothing to do`;
          });
        case 'reset':
          return run('reset', async (l) => {
            const r = await l.call('reset', {});
            return r.wasLaunched
              ? 'router reset: VXLAN device, gossip state and settings removed'
              : 'router was never launched; nothing to do';
          });
        case 'addPing':
          return run(`ping check ${e.target}`, async (l) => {
            const r = await l.call('pings.add', { target: e.target, ...(e.from ? { from: e.from } : {}) });
            return r.created
              ? `ping check ${r.check.label} added`
              : `ping check ${r.check.label} was already there`;
          });
        case 'dockerdLoad':
          return dockerd(async (l) => {
            const view = await withTimeout(l.call('dockerd.show', {}), 30_000);
            dispatch({ type: 'dockerd', update: { view, edits: editsFromStaged(view, fmt) } });
          }, 'dockerd options');
        case 'dockerdDiff':
          return dockerd(async (l) => {
            try {
              const preview = await withTimeout(
                l.call('dockerd.diff', { preview: changesOf(e.edits) }),
                30_000,
              );
              dispatch({ type: 'dockerd', update: { preview } });
            } catch (err) {
              dispatch({ type: 'dockerd', update: { previewError: messageOf(err) } });
            }
          }, 'dockerd diff');
        case 'dockerdApply':
          return dockerd(async (l) => {
            const staged = await l.call('dockerd.stage', { clear: true, ...changesOf(e.edits) });
            if (staged.refused || (staged.blocked && staged.files.length)) {
              const why =
                staged.refused ??
                staged.findings
                  .filter((f) => f.severity !== 'warning')
                  .map((f) => `${f.key}: ${f.message}`)
                  .join('; ');
              throw new Error(`refused, nothing changed: ${why}`);
            }
            await restart(l, 'apply', () => l.call('dockerd.apply', {}));
          }, 'dockerd apply');
        case 'dockerdRollback':
          return dockerd(
            (l) => restart(l, 'rollback', () => l.call('dockerd.rollback', {})),
            'dockerd rollback',
          );
        case 'dockerdStartContainers':
          return dockerd(async (l) => {
            const r = await withTimeout(
              l.call('dockerd.startContainers', { containers: e.containers }),
              60_000,
            );
            const failed = r.containers.filter((c) => !c.running);
            const ok = r.containers.length - failed.length;
            dispatch({ type: 'dialog', dialog: undefined });
            dispatch(
              eventOf(
                failed.length ? 'error' : 'ok',
                failed.length
                  ? `started ${ok} container(s); ${failed.map((c) => `${c.name}: ${c.error}`).join('; ')}`
                  : `started ${ok} container(s) again; their addresses come back by reconcile`,
              ),
            );
            refreshNow();
          }, 'start containers');
      }
    },

    async checkDockerd(key, input, edits): Promise<void> {
      const l = link();
      const verdict = (state: DockerdCheck['state'], message: string): void =>
        dispatch({ type: 'dockerdCheck', check: { key, input, state, message } });
      if (!input.trim()) return verdict('error', `type a value for ${key}, or Esc and u to unset it`);
      if (!l) return verdict('error', 'the agent is not connected');
      try {
        const d = await withTimeout(
          l.call('dockerd.diff', { preview: changesOf({ ...edits, [key]: input }) }),
          10_000,
        );
        const mine = d.findings.filter((f) => f.key === key || f.severity === 'error');
        const errors = mine.filter((f) => f.severity !== 'warning');
        if (d.refused) return verdict('error', `cannot apply here: ${d.refused}`);
        if (errors.length) return verdict('error', errors.map((f) => f.message).join('; '));
        const warn = mine.filter((f) => f.severity === 'warning').map((f) => `warning: ${f.message}`);
        const files = d.files.map((f) => f.path).join(', ');
        return verdict(
          'ok',
          [`valid${files ? `; apply would write ${files}` : '; already in effect'}`, ...warn].join('; '),
        );
      } catch (err) {
        return verdict('error', messageOf(err));
      }
    },
  };
}
