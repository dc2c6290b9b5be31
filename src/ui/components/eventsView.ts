import type { DoctorCheck } from '../../agent/api/doctor.js';
import type { HealthEvent } from '../../agent/api/events.js';
import { wrapWords } from '../model/layout.js';
import type { Dialog, UIState } from '../state/model.js';
import type { Theme } from '../theme/tokens.js';
import { para, type DialogLine } from './DialogBox.js';
import { formatTime } from './EventLine.js';

const MARK: Record<HealthEvent['level'], string> = { error: '!', warn: '~', ok: '+', info: '-' };

function colorOf(e: HealthEvent, theme: Theme): string | undefined {
  return { error: theme.color.error, warn: theme.color.warn, ok: theme.color.ok, info: undefined }[e.level];
}

/** The lines `room` can show, `scroll` lines up from the newest; pure, for the events view and its tests. */
export function eventsWindow<T>(
  all: readonly T[],
  room: number,
  scroll: number,
): { shown: T[]; from: number } {
  const end = Math.max(0, all.length - Math.max(0, scroll));
  const from = Math.max(0, end - room);
  return { shown: all.slice(from, end), from };
}

/**
 * The agent's health events, as k9s and lazydocker keep a log: a time, a mark, the words wrapped under
 * themselves (the fix is at the end of a line: it must not be cut); newest last.
 */
export function eventsView(
  s: UIState,
  scroll: number,
  theme: Theme,
  inner: number,
  room: number,
): { title: string; lines: DialogLine[] } {
  const all = s.health.events;
  if (all.length === 0)
    return {
      title: 'Events',
      lines: para(
        'no health changes yet: peers unreachable or back, MTU, checks down or up, telemetry, dockerd restarts and drift show here',
        inner,
        theme.color.muted,
      ),
    };
  const today = all.at(-1)!.at.slice(0, 10);
  const lines = all.flatMap((e) => {
    const stamp = `${e.at.slice(0, 10) === today ? '' : e.at.slice(0, 10) + ' '}${formatTime(Date.parse(e.at))} ${MARK[e.level]} `;
    return wrapWords(e.text, Math.max(10, inner - stamp.length)).map((t, i) => ({
      text: (i === 0 ? stamp : ' '.repeat(stamp.length)) + t,
      color: colorOf(e, theme),
    }));
  });
  const fits = Math.max(1, room);
  // Scrolled past the oldest (the key counts lines it cannot see): the oldest page, not an empty box.
  const { shown, from } = eventsWindow(lines, fits, Math.min(scroll, Math.max(0, lines.length - fits)));
  const below = lines.length - from - shown.length;
  const more = [
    from > 0 ? `${theme.glyph.up} ${from} older` : '',
    below > 0 ? `${theme.glyph.down} ${below} newer` : '',
  ]
    .filter(Boolean)
    .map((t) => `, ${t}`)
    .join('');
  return { title: `Events (${all.length}${more})`, lines: shown };
}

const DOCTOR_MARK: Record<DoctorCheck['state'], string> = {
  ok: 'ok',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'skip',
};

/** The preflight in the TUI: the same findings as `xnet-tui doctor`, the fix under each that has one. */
export function doctorView(
  d: Extract<Dialog, { kind: 'doctor' }>,
  theme: Theme,
  inner: number,
  room: number,
): { title: string; lines: DialogLine[] } {
  if (d.error) return { title: 'Doctor', lines: para(`doctor: ${d.error}`, inner, theme.color.error) };
  if (!d.checks)
    return {
      title: 'Doctor',
      lines: [{ text: `checking this host${theme.glyph.ellipsis}`, color: theme.color.muted }],
    };
  const color = {
    ok: theme.color.ok,
    warn: theme.color.warn,
    fail: theme.color.error,
    skip: theme.color.muted,
  };
  // What fails first, then what warns: at 80x24 the answer must be on the first page.
  const rank = { fail: 0, warn: 1, ok: 2, skip: 3 };
  const sorted = [...d.checks].sort((a, b) => rank[a.state] - rank[b.state]);
  const lines = sorted.flatMap((c) => [
    ...wrapWords(`${c.title}: ${c.detail}`, inner - 6).map((t, i) => ({
      text: `${i === 0 ? DOCTOR_MARK[c.state].padEnd(4) : '    '}  ${t}`,
      color: color[c.state],
    })),
    ...(c.fix ? wrapWords(`fix: ${c.fix}`, inner - 6).map((t) => ({ text: `      ${t}` })) : []),
  ]);
  const fits = Math.max(1, room);
  // Read from the top (fails first in the list's order), so `scroll` counts lines down from it.
  const top = Math.min(d.scroll, Math.max(0, lines.length - fits));
  const shown = lines.slice(top, top + fits);
  const fails = d.checks.filter((c) => c.state === 'fail').length;
  const warns = d.checks.filter((c) => c.state === 'warn').length;
  return {
    title: `Doctor: ${fails ? `${fails} failing` : 'nothing fails'}${warns ? `, ${warns} warning(s)` : ''}`,
    lines: shown,
  };
}
