import type { PaneId } from './panes.js';

export const MIN_COLS = 80;
export const MIN_ROWS = 24;

export interface PaneBox {
  pane: PaneId;
  width: number;
  height: number;
}

export interface ScreenLayout {
  cols: number;
  /** Rows the frame may use: one less than the terminal, so the frame never scrolls it. */
  rows: number;
  /** Rows, each of columns side by side, each a stack of panes top to bottom. */
  body: PaneBox[][][];
}

export type LayoutResult = { fits: true; layout: ScreenLayout } | { fits: false; need: string };

/** Lines outside the panes: header, event line, footer, and the banner while the agent is away. */
export function chromeRows(banner: boolean): number {
  return 3 + (banner ? 1 : 0);
}

/**
 * Where the panes go for a terminal of `cols` x `rows`. Pure: the frame tests and the live UI share it.
 * Narrow: Peers and Ping checks side by side on top, Containers and Traffic full width below.
 * Wide (>= 140x36): Peers across the top, then Containers on the left, Traffic over Ping checks on the right.
 */
export function layoutFor(cols: number, rows: number, banner = false): LayoutResult {
  if (cols < MIN_COLS || rows < MIN_ROWS) {
    return {
      fits: false,
      need: `xnet-tui needs at least ${MIN_COLS}x${MIN_ROWS}; this terminal is ${cols}x${rows}`,
    };
  }
  const usable = rows - 1;
  const body = usable - chromeRows(banner);
  if (cols >= 140 && rows >= 36) {
    const left = Math.floor(cols / 2);
    const right = cols - left;
    const peers = Math.max(6, Math.floor(body * 0.3));
    const below = body - peers;
    const traffic = Math.max(8, Math.floor(below * 0.6));
    // Peers across the whole width: the WHY column (why unreachable, the MTU to set) is read, not cut.
    return {
      fits: true,
      layout: {
        cols,
        rows: usable,
        body: [
          [[{ pane: 'peers', width: cols, height: peers }]],
          [
            [{ pane: 'containers', width: left, height: below }],
            [
              { pane: 'traffic', width: right, height: traffic },
              { pane: 'pings', width: right, height: below - traffic },
            ],
          ],
        ],
      },
    };
  }
  const top = Math.max(5, Math.floor(body * 0.25));
  const containers = Math.max(6, Math.floor((body - top) / 2));
  const traffic = body - top - containers;
  const half = Math.floor(cols / 2);
  return {
    fits: true,
    layout: {
      cols,
      rows: usable,
      body: [
        [[{ pane: 'peers', width: half, height: top }], [{ pane: 'pings', width: cols - half, height: top }]],
        [[{ pane: 'containers', width: cols, height: containers }]],
        [[{ pane: 'traffic', width: cols, height: traffic }]],
      ],
    },
  };
}

/** Tab order as the panes sit on screen: row by row, column by column left to right, each stack top down. */
export function tabOrder(layout: ScreenLayout): PaneId[] {
  return layout.body.flatMap((row) => row.flatMap((column) => column.map((b) => b.pane)));
}

/** Tab order for a terminal size; the wide layout's when the screen is too small to lay out. */
export function tabOrderFor(cols: number, rows: number): PaneId[] {
  const r = layoutFor(cols, rows);
  return tabOrder(r.fits ? r.layout : (layoutFor(MIN_COLS, MIN_ROWS) as { layout: ScreenLayout }).layout);
}

/** Height of one row of the body: its first column's stack. */
export function rowHeight(row: PaneBox[][]): number {
  return (row[0] ?? []).reduce((h, b) => h + b.height, 0);
}

/** First visible row so that `selected` stays inside a window of `visible` rows. */
export function scrollOffset(selected: number, visible: number, total: number): number {
  if (visible <= 0 || total <= visible) return 0;
  const max = total - visible;
  return Math.min(max, Math.max(0, selected - visible + 1));
}

/** Cuts or pads text to exactly `width` cells (ASCII-width text; ellipsis when cut). */
export function fit(text: string, width: number, ellipsis = '…'): string {
  if (width <= 0) return '';
  if (text.length <= width) return text.padEnd(width);
  if (width <= ellipsis.length) return text.slice(0, width);
  return text.slice(0, width - ellipsis.length) + ellipsis;
}

/** Greedy word wrap to `width` columns, at most `maxLines` lines (the last one cut with `ellipsis`). */
export function wrapWords(text: string, width: number, maxLines = Infinity, ellipsis = '…'): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!line) line = word;
    else if (line.length + 1 + word.length <= width) line += ' ' + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  const out = lines.map((l) => (l.length > width ? fit(l, width, ellipsis).trimEnd() : l));
  if (out.length <= maxLines) return out;
  const kept = out.slice(0, maxLines);
  kept[maxLines - 1] = fit(kept[maxLines - 1]! + ' ' + ellipsis, width, ellipsis).trimEnd();
  return kept;
}
