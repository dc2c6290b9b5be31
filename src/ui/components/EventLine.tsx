import { Text } from 'ink';
import { fit } from '../compute/layout.js';
import type { UIEvent } from '../state/model.js';
import type { Theme } from '../theme/tokens.js';

export function formatTime(at: number): string {
  const d = new Date(at);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** What just happened: the newest event, errors included, in one line. */
export function EventLine({
  event,
  width,
  theme,
}: {
  event: UIEvent | undefined;
  width: number;
  theme: Theme;
}) {
  if (!event) {
    return (
      <Text color={theme.color.muted} wrap="truncate">
        {fit('ready: ? lists every key', width, theme.glyph.ellipsis)}
      </Text>
    );
  }
  const mark = { error: '!', warn: '~', ok: '+', info: '-' }[event.level];
  const color = { error: theme.color.error, warn: theme.color.warn, ok: theme.color.ok, info: undefined }[
    event.level
  ];
  return (
    <Text color={color} wrap="truncate">
      {fit(`${formatTime(event.at)} ${mark} ${event.text}`, width, theme.glyph.ellipsis)}
    </Text>
  );
}
