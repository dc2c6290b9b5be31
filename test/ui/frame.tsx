import type { ReactElement } from 'react';
import { render } from 'ink-testing-library';
import { Screen } from '../../src/ui/components/Screen.js';
import { defaultKeyBindings } from '../../src/ui/keys/keyBindings.js';
import type { UIState } from '../../src/ui/state/model.js';
import { defaultTheme, type Theme } from '../../src/ui/theme/tokens.js';

/**
 * ink-testing-library's stdout is 100 columns wide; Ink lays the root out at stdout.columns, so give its
 * class the width each frame test asks for.
 */
let columns = 100;
let patched = false;
function patchColumns(stdout: object): void {
  if (patched) return;
  Object.defineProperty(Object.getPrototypeOf(stdout), 'columns', { get: () => columns, configurable: true });
  Object.defineProperty(Object.getPrototypeOf(stdout), 'rows', { get: () => 1000, configurable: true });
  patched = true;
}

/** Renders a tree at a terminal width and returns the last frame (ANSI included when the theme has colour). */
export function renderAt(tree: ReactElement, cols: number): ReturnType<typeof render> {
  columns = cols;
  const probe = render(<></>);
  patchColumns(probe.stdout);
  probe.unmount();
  return render(tree);
}

export function frameOf(state: UIState, cols: number, rows: number, theme: Theme = defaultTheme): string {
  const r = renderAt(
    <Screen state={state} cols={cols} rows={rows} theme={theme} bindings={defaultKeyBindings} />,
    cols,
  );
  const frame = r.lastFrame() ?? '';
  r.unmount();
  return frame;
}
