import { Text } from 'ink';
import { wrapWords } from '../compute/layout.js';

/** Below the minimum size: say what is needed, in as few lines as the terminal has. */
export function TooSmall({
  need,
  cols,
  rows,
  quit,
}: {
  need: string;
  cols: number;
  rows: number;
  quit: string;
}) {
  const lines = wrapWords(
    `${need}. Enlarge the window (${quit} quits).`,
    Math.max(10, cols),
    Math.max(1, rows - 1),
  );
  return (
    <>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate">
          {l}
        </Text>
      ))}
    </>
  );
}
