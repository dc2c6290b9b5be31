/**
 * A frame line as terminal cells (a character and the SGR style it is drawn in), and the fewest bytes that
 * turn one line into another: a sparkline that moves one column or a rate that changes rewrites those cells,
 * not the whole line. Lines hold only SGR escapes (what Ink writes) and characters one cell wide.
 */

interface Style {
  fg: string;
  bg: string;
  /** Attribute codes on (1 bold, 2 dim, 3 italic, 4 underline, 7 inverse, 9 strikethrough). */
  attrs: string;
}

interface Cell {
  ch: string;
  /** The SGR sequence that draws this cell's style from a reset; '' for the default style. */
  sgr: string;
}

const PLAIN: Style = { fg: '', bg: '', attrs: '' };
// eslint-disable-next-line no-control-regex
const TOKEN = /\x1b\[([0-9;]*)m|[\s\S]/gu;
/** Characters that may take two cells (CJK, emoji...): a line holding one is rewritten whole. */
const MAYBE_WIDE = /[\u1100-\u115f\u2e80-\uffff\u{1f000}-\u{1ffff}\u{20000}-\u{3ffff}]/u;
const RESET_ATTR: Record<string, string> = { '22': '12', '23': '3', '24': '4', '27': '7', '29': '9' };

function sgrOf(st: Style): string {
  const codes = [...st.attrs].sort().join(';');
  const parts = [codes, st.fg, st.bg].filter(Boolean).join(';');
  return parts ? `\x1b[0;${parts}m` : '';
}

function apply(st: Style, params: string): Style {
  const p = params === '' ? ['0'] : params.split(';');
  let { fg, bg, attrs } = st;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    const n = Number(c);
    if (n === 0) ({ fg, bg, attrs } = PLAIN);
    else if ([1, 2, 3, 4, 7, 9].includes(n)) attrs = attrs.includes(c) ? attrs : attrs + c;
    else if (RESET_ATTR[c]) attrs = [...attrs].filter((a) => !RESET_ATTR[c]!.includes(a)).join('');
    else if ((n >= 30 && n <= 37) || (n >= 90 && n <= 97)) fg = c;
    else if (n === 39) fg = '';
    else if ((n >= 40 && n <= 47) || (n >= 100 && n <= 107)) bg = c;
    else if (n === 49) bg = '';
    else if (n === 38 || n === 48) {
      const len = p[i + 1] === '5' ? 3 : p[i + 1] === '2' ? 5 : 1;
      const spec = p.slice(i, i + len).join(';');
      if (n === 38) fg = spec;
      else bg = spec;
      i += len - 1;
    }
  }
  return { fg, bg, attrs };
}

/** The line's cells, or undefined when it holds something this model cannot place (a wide character). */
export function cellsOf(line: string): Cell[] | undefined {
  if (MAYBE_WIDE.test(line)) return undefined;
  const out: Cell[] = [];
  let st = PLAIN;
  let sgr = '';
  for (const m of line.matchAll(TOKEN)) {
    if (m[1] !== undefined) {
      st = apply(st, m[1]);
      sgr = sgrOf(st);
    } else if (m[0] === '\x1b') return undefined;
    else out.push({ ch: m[0], sgr });
  }
  return out;
}

/** Cells of run `from..to` (inclusive) drawn from a reset, ending reset. */
function draw(cells: readonly Cell[], from: number, to: number): string {
  let out = '';
  let cur = '';
  for (let i = from; i <= to; i++) {
    const c = cells[i]!;
    if (c.sgr !== cur) {
      out += c.sgr || '\x1b[0m';
      cur = c.sgr;
    }
    out += c.ch;
  }
  return cur ? out + '\x1b[0m' : out;
}

/** Cursor to row `row` (1-based), column `col` (0-based). */
const at = (row: number, col: number): string => `\x1b[${row};${col + 1}H`;

/**
 * Bytes that turn `prev` into `next` on screen row `row` (1-based): the changed runs of cells (runs closer than
 * a cursor move apart are joined), then a clear to the end when the line got shorter. Whole line when a line
 * cannot be split into cells.
 */
export function diffLine(row: number, prev: string | undefined, next: string | undefined): string {
  const whole = `${at(row, 0)}${next ?? ''}\x1b[K`;
  if (prev === undefined || next === undefined) return whole;
  const a = cellsOf(prev);
  const b = cellsOf(next);
  if (!a || !b) return whole;
  const same = (i: number): boolean => a[i] !== undefined && a[i]!.ch === b[i]!.ch && a[i]!.sgr === b[i]!.sgr;
  let out = '';
  let i = 0;
  while (i < b.length) {
    if (same(i)) {
      i++;
      continue;
    }
    let end = i;
    let j = i + 1;
    // Extend the run over short stretches of equal cells: redrawing a few is cheaper than moving the cursor.
    while (j < b.length && j - end <= 6) {
      if (!same(j)) end = j;
      j++;
    }
    out += at(row, i) + draw(b, i, end);
    i = end + 1;
  }
  if (a.length > b.length) {
    // Trailing blanks in the old line's default style need no clearing; anything else does.
    const rest = a.slice(b.length);
    if (rest.some((c) => c.ch !== ' ' || c.sgr !== '')) out += `${at(row, b.length)}\x1b[K`;
  }
  return out.length < whole.length ? out : whole;
}
