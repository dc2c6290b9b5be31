import { Text } from 'ink';
import { wrapWords } from '../compute/layout.js';
import type { Theme } from '../theme/tokens.js';

/** A pane's plain sentence (nothing to show, or not built yet), wrapped to fit. */
export function Message({
  text,
  width,
  lines,
  theme,
}: {
  text: string;
  width: number;
  lines: number;
  theme: Theme;
}) {
  return (
    <>
      {wrapWords(text, width, lines, theme.glyph.ellipsis).map((l, i) => (
        <Text key={i} color={theme.color.muted} wrap="truncate">
          {l}
        </Text>
      ))}
    </>
  );
}
