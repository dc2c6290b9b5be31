import { Box, Text } from 'ink';
import { fit, wrapWords } from '../compute/layout.js';
import type { Theme } from '../theme/tokens.js';

export interface DialogLine {
  text: string;
  color?: string | undefined;
  bold?: boolean;
  inverse?: boolean;
}

export interface DialogBoxProps {
  title: string;
  lines: DialogLine[];
  /** Outer width, borders included. */
  width: number;
  /** Where it sits over the panes (the body's top-left corner is 0,0). */
  left: number;
  top: number;
  theme: Theme;
}

/** A bordered box drawn over the panes; every line is padded so nothing underneath shows through. */
export function DialogBox({ title, lines, width, left, top, theme }: DialogBoxProps) {
  // No padding box: padding cells are not drawn, so what is underneath would show through; pad by hand.
  const inner = width - 4;
  const pad = (t: string): string => ` ${fit(t, inner, theme.glyph.ellipsis)} `;
  return (
    <Box
      position="absolute"
      marginLeft={left}
      marginTop={top}
      width={width}
      flexDirection="column"
      borderStyle={theme.name === 'plain' ? 'classic' : 'round'}
      borderColor={theme.color.accent}
    >
      <Text bold color={theme.color.accent}>
        {pad(title)}
      </Text>
      {lines.map((l, i) => (
        <Text key={i} color={l.color} bold={l.bold ?? false} inverse={l.inverse ?? false} wrap="truncate">
          {pad(l.text)}
        </Text>
      ))}
    </Box>
  );
}

/** A paragraph as dialog lines. */
export function para(text: string, width: number, color?: string): DialogLine[] {
  return wrapWords(text, width).map((t) => ({ text: t, color }));
}
