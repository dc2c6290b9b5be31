import { Text } from 'ink';
import { fit } from '../compute/layout.js';
import type { Theme } from '../theme/tokens.js';

/** The keys that work now: for the focused pane, or for the open dialog. */
export function Footer({ hints, width, theme }: { hints: [string, string][]; width: number; theme: Theme }) {
  // Hints are two spaces apart; as many as fit, whole.
  let used = -2;
  const shown: [string, string][] = [];
  for (const [k, label] of hints) {
    const len = 2 + k.length + 1 + label.length;
    if (used + len > width) break;
    shown.push([k, label]);
    used += len;
  }
  return (
    <Text wrap="truncate">
      {shown.map(([k, label], i) => (
        <Text key={k + label}>
          <Text bold color={theme.color.accent}>
            {k}
          </Text>
          <Text color={theme.color.muted}>{` ${label}${i < shown.length - 1 ? '  ' : ''}`}</Text>
        </Text>
      ))}
      {fit('', Math.max(0, width - Math.max(0, used)))}
    </Text>
  );
}
