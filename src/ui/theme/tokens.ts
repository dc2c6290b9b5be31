/**
 * Semantic theme tokens: components ask for "muted" or "error", never for a colour, so NO_COLOR and a
 * non-UTF-8 terminal are one more theme rather than conditionals spread through the panes.
 */
export interface Theme {
  name: 'default' | 'plain';
  color: {
    text: string | undefined;
    muted: string | undefined;
    accent: string | undefined;
    ok: string | undefined;
    warn: string | undefined;
    error: string | undefined;
    rx: string | undefined;
    tx: string | undefined;
  };
  glyph: {
    /** Sparkline levels, lowest first. */
    spark: readonly string[];
    rule: string;
    /** The rule of the focused pane's title line. */
    focusRule: string;
    sep: string;
    arrow: string;
    up: string;
    down: string;
    bullet: string;
    ellipsis: string;
    /** Where typing goes in a text field. */
    caret: string;
  };
}

export const defaultTheme: Theme = {
  name: 'default',
  color: {
    text: undefined,
    muted: 'gray',
    accent: 'cyan',
    ok: 'green',
    warn: 'yellow',
    error: 'red',
    rx: 'green',
    tx: 'blue',
  },
  glyph: {
    spark: [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'],
    rule: '─',
    focusRule: '━',
    sep: '│',
    arrow: '→',
    up: '▲',
    down: '▼',
    bullet: '●',
    ellipsis: '…',
    caret: '▏',
  },
};

export const plainTheme: Theme = {
  name: 'plain',
  color: {
    text: undefined,
    muted: undefined,
    accent: undefined,
    ok: undefined,
    warn: undefined,
    error: undefined,
    rx: undefined,
    tx: undefined,
  },
  glyph: {
    spark: [' ', '.', ',', ':', '-', '=', '+', '*', '#'],
    rule: '-',
    focusRule: '=',
    sep: '|',
    arrow: '->',
    up: '^',
    down: 'v',
    bullet: '*',
    ellipsis: '~',
    caret: '_',
  },
};

export type ThemeChoice = 'auto' | 'default' | 'plain';

/** Whether the locale promises UTF-8 (LC_ALL over LC_CTYPE over LANG, as setlocale reads them). */
export function localeIsUtf8(env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}

/** NO_COLOR (any non-empty value, per no-color.org) or a non-UTF-8 locale get the plain theme. */
export function pickTheme(choice: ThemeChoice, env: NodeJS.ProcessEnv): Theme {
  if (choice === 'plain') return plainTheme;
  const noColor = Boolean(env.NO_COLOR);
  if (noColor || !localeIsUtf8(env)) return plainTheme;
  return defaultTheme;
}
