import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Theme } from '../theme/tokens.js';

export interface PaneFrameProps {
  title: string;
  /** Right of the title: a count, the filter. */
  info?: string;
  focused: boolean;
  width: number;
  height: number;
  theme: Theme;
  children: ReactNode;
}

/** A pane: one title line (a heavier rule when focused, for terminals without colour) and its rows below. */
export function PaneFrame({ title, info, focused, width, height, theme, children }: PaneFrameProps) {
  const rule = focused ? theme.glyph.focusRule : theme.glyph.rule;
  const head = `${rule}${rule} ${title}${info ? ` ${info}` : ''} `;
  const tail = rule.repeat(Math.max(0, width - head.length - 1));
  return (
    <Box flexDirection="column" width={width} height={height} paddingRight={1}>
      <Text wrap="truncate" bold={focused} color={focused ? theme.color.accent : theme.color.muted}>
        {(head + tail).slice(0, width - 1)}
      </Text>
      <Box flexDirection="column" height={height - 1} overflow="hidden">
        {children}
      </Box>
    </Box>
  );
}
