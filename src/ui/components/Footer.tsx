import { Text } from 'ink';
import { fit } from '../model/layout.js';
import type { Theme } from '../theme/tokens.js';

/** The keys that work now: for the focused pane, or for the open dialog. */
export function Footer({ hints, width, theme }: { hints: [string, string][]; width: number; theme: Theme }) {
  let used = 0;
  const shown: [string, string][] = [];
  for (const [k, label] of hints) {
    const len = k.length + 1 + label.length + 2;
    if (used + len > width) break;
    shown.push([k, label]);
    used += len;
  }
  return (
    <Text wrap="truncate">
      {shown.map(([k, label]) => (
        <Text key={k + label}>
          <Text bold color={theme.color.accent}>
            {k}
          </Text>
          <Text color={theme.color.muted}>{` ${label}  `}</Text>
        </Text>
      ))}
      {fit('', Math.max(0, width - used))}
    </Text>
  );
}
