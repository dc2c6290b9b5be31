import { Text } from 'ink';
import { fit } from '../compute/layout.js';
import type { Connection } from '../state/model.js';
import type { Theme } from '../theme/tokens.js';

/** Shown while the agent is away (or not reached yet); the UI keeps retrying on its own. */
export function Banner({
  connection,
  width,
  theme,
}: {
  connection: Connection;
  width: number;
  theme: Theme;
}) {
  const text =
    connection.state === 'down'
      ? ` ${theme.glyph.bullet} agent not answering on ${connection.socket}: ${connection.reason}; reconnecting by itself`
      : ` connecting to the agent on ${connection.socket}${theme.glyph.ellipsis}`;
  return (
    <Text inverse color={connection.state === 'down' ? theme.color.error : theme.color.warn} wrap="truncate">
      {fit(text, width, theme.glyph.ellipsis)}
    </Text>
  );
}
