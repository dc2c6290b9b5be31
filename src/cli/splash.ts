/**
 * The alternate screen, and what is on it while React and Ink load (about 0.4 s): the real header with the
 * agent still connecting, nothing invented. Kept free of Ink so it paints within tens of milliseconds.
 */

export const ENTER_ALT = '\x1b[?1049h\x1b[H';
export const LEAVE_ALT = '\x1b[?25h\x1b[?1049l';

/** The splash's lines for a terminal of `cols` x `rows` (the frame stays one row short, as the UI's does). */
export function splashLines(host: string, socket: string, cols: number, rows: number): string[] {
  const cut = (t: string): string => (t.length > cols ? t.slice(0, Math.max(0, cols - 3)) + '...' : t);
  const lines = Array<string>(Math.max(3, rows - 1)).fill('');
  lines[0] = cut(`xnet-tui ${host} | agent connecting...`);
  lines[2] = cut(`connecting to the agent on ${socket}`);
  lines[lines.length - 1] = cut('starting the UI...');
  return lines;
}

/** Enters the alternate screen and paints the splash; returns the lines painted so the UI can diff from them. */
export function paintSplash(out: NodeJS.WriteStream, host: string, socket: string): string[] {
  const lines = splashLines(host, socket, out.columns || 80, out.rows || 24);
  out.write(ENTER_ALT + lines.map((l, i) => `\x1b[${i + 1};1H${l}\x1b[K`).join(''));
  return lines;
}
