import type { DoctorCheck } from '../../api/doctor.js';
import { wrapWords } from '../compute/layout.js';
import type { Dialog } from '../state/model.js';
import type { Theme } from '../theme/tokens.js';
import { para, type DialogLine } from './DialogBox.js';

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
