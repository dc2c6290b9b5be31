import type { DockerdFinding } from '../../api/index.js';
import { type OptionValue } from '../../docker/config/options.js';
import { formatValue } from '../../docker/config/values.js';
import { hostNameOf } from '../keys/dialogKeys.js';
import { fit, scrollOffset } from '../compute/layout.js';
import { changesOf, effective, impactText, stoppedAfter, type DockerdEditor } from '../state/dockerd.js';
import type { UIState } from '../state/model.js';
import { keyFor, type KeyBindings } from '../keys/keyBindings.js';
import type { Theme } from '../theme/tokens.js';
import { para, type DialogLine } from './DialogBox.js';
import type { DialogView } from './routerDialogs.js';

const fmt = (v: unknown): string => formatValue(v as OptionValue | undefined);

function findingLines(fs: readonly DockerdFinding[], inner: number, theme: Theme): DialogLine[] {
  return fs.flatMap((f) =>
    para(
      `${f.severity === 'error' ? 'error' : f.severity === 'confirm' ? 'needs confirmation' : 'warning'} (${f.key}): ${f.message}${f.hint ? ` (${f.hint})` : ''}`,
      inner,
      f.severity === 'error' ? theme.color.error : theme.color.warn,
    ),
  );
}

/** A window of `lines` that fits `room`, starting at `from` (clamped). */
function window(lines: DialogLine[], from: number, room: number): DialogLine[] {
  const start = Math.max(0, Math.min(from, lines.length - room));
  return lines.slice(start, start + room);
}

/** The `o` editor in each phase, sized to `room` lines inside a box `inner` wide. */
export function dockerdView(
  s: UIState,
  d: DockerdEditor,
  theme: Theme,
  inner: number,
  room: number,
  bindings: KeyBindings,
): DialogView {
  const e = theme.glyph.ellipsis;
  const err = d.error ? para(d.error, inner, theme.color.error) : [];
  if (!d.view)
    return {
      title: 'dockerd options',
      lines: d.loadError
        ? para(`could not read dockerd's options: ${d.loadError}`, inner, theme.color.error)
        : [{ text: `reading dockerd's options${e}`, color: theme.color.muted }],
    };
  const v = d.view;
  const options = v.options;
  const sel = options[Math.min(d.selected, options.length - 1)];
  const host = hostNameOf(s);
  switch (d.phase) {
    case 'list': {
      const kw = 16;
      const sw = 12;
      const vw = Math.max(10, inner - kw - sw - 2);
      const rows: DialogLine[] = options.map((o, i) => {
        const now = effective(o, fmt);
        const edit = d.edits[o.key];
        const value =
          edit === undefined
            ? now.value
            : edit === null
              ? `${now.value} -> default`
              : `${now.value} -> ${edit}`;
        const source = edit === undefined ? now.source : edit === null ? 'unset' : 'edited';
        return {
          text: `${fit(o.key, kw, e)} ${fit(value, vw, e)} ${fit(source, sw, e)}`,
          inverse: i === d.selected,
          ...(edit !== undefined
            ? { color: theme.color.accent, bold: true }
            : o.source === 'conflict'
              ? { color: theme.color.error }
              : o.source === 'default'
                ? { color: theme.color.muted }
                : {}),
        };
      });
      const head: DialogLine[] = [
        {
          text: `daemon.json ${v.configPath} (${v.daemonJson.state}); restart: ${v.restart}`,
          color: theme.color.muted,
        },
        { text: `${fit('OPTION', kw)} ${fit('VALUE', vw)} ${fit('SOURCE', sw)}`, color: theme.color.muted },
      ];
      const n = Object.keys(d.edits).length;
      const tail: DialogLine[] = [
        ...err,
        ...(n
          ? [
              {
                text: `${n} edit(s): ${keyFor(bindings, 'dockerdDiff')} shows the diff, ${keyFor(bindings, 'dockerdApply')} applies`,
                color: theme.color.accent,
              },
            ]
          : v.findings.length
            ? findingLines(v.findings, inner, theme).slice(0, 2)
            : []),
      ];
      const listRoom = Math.max(3, room - head.length - tail.length);
      const start = scrollOffset(d.selected, listRoom, rows.length);
      return {
        title: `dockerd options on ${host}`,
        lines: [...head, ...rows.slice(start, start + listRoom), ...tail],
      };
    }
    case 'edit': {
      const key = sel?.key ?? '';
      const spec = v.catalog.find((c) => c.key === key);
      const c = d.check;
      const verdict: DialogLine =
        !c || c.input !== d.input || c.state === 'checking'
          ? { text: `checking with the agent${e}`, color: theme.color.muted }
          : c.state === 'ok'
            ? { text: `${theme.glyph.bullet} ${c.message}`, color: theme.color.ok }
            : { text: c.message, color: theme.color.error };
      return {
        title: `Edit ${key}${sel ? ` (now: ${effective(sel, fmt).value}, ${effective(sel, fmt).source})` : ''}`,
        lines: [
          ...(spec ? para(`${spec.description} (${spec.flag})`, inner, theme.color.muted) : []),
          { text: `${key} = ${d.input}${theme.glyph.caret}`, bold: true },
          ...para(verdict.text, inner, verdict.color),
          { text: `default: ${spec?.defaultText ?? sel?.defaultText ?? '-'}`, color: theme.color.muted },
        ],
      };
    }
    case 'diff': {
      const p = d.preview;
      const body: DialogLine[] = !p
        ? d.previewError
          ? para(d.previewError, inner, theme.color.error)
          : [{ text: `asking the agent for the diff${e}`, color: theme.color.muted }]
        : [
            ...(p.refused ? para(`cannot apply: ${p.refused}`, inner, theme.color.error) : []),
            ...(p.files.length === 0
              ? [{ text: 'nothing would change: the edits are already in effect', color: theme.color.muted }]
              : p.files.flatMap((f) =>
                  f.diff
                    .trimEnd()
                    .split('\n')
                    .map((l) => ({
                      text: l,
                      color: l.startsWith('+')
                        ? theme.color.ok
                        : l.startsWith('-')
                          ? theme.color.error
                          : undefined,
                    })),
                )),
            ...p.notes.flatMap((n) => para(`note: ${n}`, inner, theme.color.muted)),
            ...findingLines(p.findings, inner, theme),
            ...(p.blocked && p.files.length
              ? [{ text: 'apply would refuse until the errors above are fixed', color: theme.color.error }]
              : []),
          ];
      return { title: `Diff: what apply would write on ${host}`, lines: window(body, d.scroll, room) };
    }
    case 'confirm': {
      const rollback = d.confirmFor === 'rollback';
      const { set, unset } = changesOf(d.edits);
      const what = rollback
        ? `Roll back to the last backup (${v.backups[0]?.at ?? '-'}): the files are restored and dockerd restarts.`
        : `Apply ${set.length + unset.length} change(s) (${[...set.map((x) => `${x.key}=${x.value}`), ...unset.map((k) => `unset ${k}`)].join(', ')}): the files are written with a backup and dockerd restarts; if it is not healthy in time, the old files come back by themselves.`;
      const blocked = !rollback && d.preview?.blocked && d.preview.files.length > 0;
      const impact = impactText(d.preview?.impact ?? v.impact);
      return {
        title: rollback ? 'Roll back dockerd options' : 'Apply dockerd options',
        lines: [
          ...para(what, inner),
          ...para(impact.text, inner, impact.stops ? theme.color.warn : theme.color.muted),
          ...(blocked
            ? [
                ...findingLines(
                  d.preview!.findings.filter((f) => f.severity !== 'warning'),
                  inner,
                  theme,
                ),
                {
                  text: `apply would refuse: fix the errors first (${keyFor(bindings, 'cancel')})`,
                  color: theme.color.error,
                },
              ]
            : []),
          { text: `Type ${host} to confirm: ${d.typed}${theme.glyph.caret}`, bold: true },
          {
            text: d.typed === host ? 'Enter restarts dockerd' : 'the name does not match yet',
            color: d.typed === host ? theme.color.ok : theme.color.muted,
          },
        ],
      };
    }
    case 'applying':
      return {
        title: d.confirmFor === 'rollback' ? 'Rolling back dockerd options' : 'Applying dockerd options',
        lines: [
          {
            text: `${d.progress ?? 'writing the files and restarting dockerd'}${e}`,
            color: theme.color.warn,
          },
          {
            text: 'waiting until dockerd answers and lists containers; a failed start is rolled back',
            color: theme.color.muted,
          },
          ...err,
        ],
      };
    case 'result': {
      const r = d.result;
      if (!r) return { title: 'dockerd options', lines: err.length ? err : [{ text: 'done' }] };
      const verb = d.confirmFor === 'rollback' ? 'rollback' : 'apply';
      const stopped = stoppedAfter(r);
      const head: DialogLine[] =
        r.outcome === 'applied'
          ? [
              stopped.length
                ? {
                    text: `${verb} done: dockerd is healthy, but ${stopped.length} container(s) are stopped`,
                    color: theme.color.warn,
                    bold: true,
                  }
                : {
                    text: `${verb} done: dockerd is healthy; ${r.reattached} attachment(s) re-attached`,
                    color: theme.color.ok,
                    bold: true,
                  },
            ]
          : [
              {
                text:
                  r.outcome === 'rolled-back'
                    ? `${verb} FAILED and was rolled back: the old files are back, dockerd is healthy`
                    : `${verb} FAILED and so did the rollback: dockerd is NOT healthy (backup ${r.backup})`,
                color: theme.color.error,
                bold: true,
              },
              ...para(`why: ${r.reason ?? '-'}`, inner, theme.color.error),
            ];
      const steps = r.steps.map((st) => ({
        text: `${st.ok ? 'ok    ' : 'FAILED'} ${st.step} (${st.ms} ms)${st.detail ? `: ${st.detail}` : ''}`,
        ...(st.ok ? {} : { color: theme.color.error }),
      }));
      const log = r.daemonLog.length
        ? [
            { text: "dockerd's log:", color: theme.color.muted },
            ...r.daemonLog.map((l) => ({ text: `  ${l}` })),
          ]
        : [];
      const after: DialogLine[] = [
        ...(r.restarted.length
          ? para(`started again: ${r.restarted.join(', ')}`, inner, theme.color.ok)
          : []),
        ...(stopped.length
          ? [
              ...para(
                `${stopped.length} container(s) stopped by the restart: ${stopped.map((c) => `${c.name} (${c.status})`).join(', ')}`,
                inner,
                theme.color.warn,
              ),
              {
                text: 's starts them again (their addresses come back)',
                color: theme.color.warn,
                bold: true,
              },
            ]
          : []),
      ];
      const fixed = [...head, ...after, ...steps];
      return {
        title: `dockerd ${verb} on ${host}`,
        lines: [...fixed, ...log.slice(-Math.max(0, room - fixed.length))].slice(0, room),
      };
    }
  }
}
