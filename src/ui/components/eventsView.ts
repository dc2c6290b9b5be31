import type { HealthEvent } from '../../api/events.js';
import { wrapWords } from '../compute/layout.js';
import type { UIState } from '../state/model.js';
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
