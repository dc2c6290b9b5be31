import Context from 'drawille-canvas-blessed-contrib';

/**
 * A braille line chart `width` x `height` cells, drawn as blessed-contrib's `line` widget draws one: a stroked
 * path through the points on blessed-contrib's own string canvas (2 x 4 dots a cell), so no blessed screen.
 * Points are one per column (see `slotted`); blank columns break the line. `top` is the value drawn at the top
 * row (the caller's scale, printed beside the chart). Returns `height` lines of exactly `width` characters,
 * without colour: the pane colours them, so NO_COLOR stays plain.
 */
export function brailleLines(
  points: readonly (number | undefined)[],
  width: number,
  height: number,
  top: number,
): string[] {
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  const ctx = new Context(w * 2, h * 4);
  const bottom = h * 4 - 1;
  const yOf = (v: number): number => bottom - Math.round((Math.min(v, top) / (top || 1)) * bottom);
  ctx.strokeStyle = 'normal';
  let open = false;
  ctx.beginPath();
  points.slice(-w).forEach((p, i) => {
    const x = i * 2;
    if (p === undefined) {
      open = false;
      return;
    }
    if (open) ctx.lineTo(x, yOf(p));
    else ctx.moveTo(x, yOf(p));
    open = true;
  });
  ctx.stroke();
  // The canvas wraps each dot in an SGR colour pair; colour is the pane's business.
  // eslint-disable-next-line no-control-regex
  const plain = ctx._canvas.frame().replace(/\x1b\[[0-9;]*m/g, '');
  const lines = plain.split('\n').slice(0, h);
  return lines.map((l) => l.padEnd(w).slice(0, w));
}
