import { type OptionValue } from '../../../docker/config/options.js';
import { formatValue } from '../../../docker/config/values.js';
import { changesOf, editsFromStaged, progressText, type DockerdCheck } from '../../state/dockerd.js';
import { keyFor } from '../../keys/keyBindings.js';
import type { AgentLink } from '../useAgent.js';
import { eventOf, messageOf, withTimeout, type ActionContext, type EffectHandlers } from './run.js';

const fmt = (v: unknown): string => formatValue(v as OptionValue | undefined);
/** How long a restart of dockerd may take: its own timeout, then a rollback's. */
const APPLY_MS = 200_000;

export interface DockerdActions extends EffectHandlers<
  'dockerdLoad' | 'dockerdDiff' | 'dockerdApply' | 'dockerdRollback' | 'dockerdStartContainers'
> {
  /** Live validation of one value being typed in the dockerd editor (the hook debounces). */
  checkDockerd(key: string, input: string, edits: Record<string, string | null>): Promise<void>;
}

/** dockerd's options: show, diff, apply, rollback, and live checks (src/api/dockerd.ts). */
export function dockerdActions({ link, dispatch, refreshNow, bindings }: ActionContext): DockerdActions {
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
    dockerdLoad: () =>
      dockerd(async (l) => {
        const view = await withTimeout(l.call('dockerd.show', {}), 30_000);
        dispatch({ type: 'dockerd', update: { view, edits: editsFromStaged(view, fmt) } });
      }, 'dockerd options'),
    dockerdDiff: (e) =>
      dockerd(async (l) => {
        try {
          const preview = await withTimeout(l.call('dockerd.diff', { preview: changesOf(e.edits) }), 30_000);
          dispatch({ type: 'dockerd', update: { preview } });
        } catch (err) {
          dispatch({ type: 'dockerd', update: { previewError: messageOf(err) } });
        }
      }, 'dockerd diff'),
    dockerdApply: (e) =>
      dockerd(async (l) => {
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
      }, 'dockerd apply'),
    dockerdRollback: () =>
      dockerd((l) => restart(l, 'rollback', () => l.call('dockerd.rollback', {})), 'dockerd rollback'),
    dockerdStartContainers: (e) =>
      dockerd(async (l) => {
        const r = await withTimeout(l.call('dockerd.startContainers', { containers: e.containers }), 60_000);
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
      }, 'start containers'),

    async checkDockerd(key, input, edits): Promise<void> {
      const l = link();
      const verdict = (state: DockerdCheck['state'], message: string): void =>
        dispatch({ type: 'dockerdCheck', check: { key, input, state, message } });
      if (!input.trim())
        return verdict(
          'error',
          `type a value for ${key}, or ${keyFor(bindings, 'cancel')} and ${keyFor(bindings, 'dockerdUnset')} to unset it`,
        );
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
