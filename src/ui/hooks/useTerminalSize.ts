import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface TerminalSize {
  cols: number;
  rows: number;
}

const sizeOf = (out: NodeJS.WriteStream): TerminalSize => ({ cols: out.columns || 80, rows: out.rows || 24 });

/** The terminal's size, following SIGWINCH (Ink re-emits it as `resize` on stdout). */
export function useTerminalSize(): TerminalSize {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = (): void => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
