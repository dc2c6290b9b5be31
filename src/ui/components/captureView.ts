import type { CaptureLine, TalkerRow } from '../../api/capture.js';
import { endpoints } from '../../telemetry/decode.js';
import { formatRate } from '../../format.js';
import { fit } from '../compute/layout.js';
import { keyFor, type KeyBindings } from '../keys/keyBindings.js';
import type { CaptureView } from '../state/capture.js';
import type { Theme } from '../theme/tokens.js';
import { para, type DialogLine } from './DialogBox.js';
import { formatTime } from './EventLine.js';

const num = (n: number): string =>
  n >= 10_000
    ? `${(n / 1000).toFixed(0)}k`
    : n < 10 && !Number.isInteger(n)
      ? n.toFixed(1)
      : String(Math.round(n));

/** `12:00:01.123`: packets a few ms apart must read apart. */
function stamp(t: number): string {
  return `${formatTime(t)}.${String(t % 1000).padStart(3, '0')}`;
}

/** Columns of the talker and header rows at an inner width: the addresses take what the figures leave. */
function columns(inner: number): { ends: number } {
  // Up to two link-local IPv6 addresses with ports; the flags get the rest.
  return { ends: Math.max(20, Math.min(60, inner - 12 - 1 - 5 - 1 - 6 - 1 - 14)) };
}

function talkerLine(r: TalkerRow, inner: number, cut: string): string {
  const rates = `${`${num(r.pps)} p/s`.padStart(9)} ${formatRate(r.bps).padStart(9)} ${num(r.packets).padStart(7)}`;
  return `${r.proto.padEnd(5)} ${fit(endpoints(r), inner - 6 - rates.length - 1, cut)} ${rates}`;
}

function headerLine(l: CaptureLine, inner: number, cut: string): string {
  const { ends } = columns(inner);
  return `${stamp(l.t)} ${l.proto.padEnd(5)} ${fit(endpoints(l), ends, cut)} ${String(l.len).padStart(6)} ${l.info}`;
}

/**
 * The capture view: a status line, the top talkers (5-tuples by bytes/s) and the newest decoded headers under
 * them, filling the room it has; or, before and instead of that, what the capture is doing or why it is not.
 */
export function captureView(
  v: CaptureView,
  theme: Theme,
  inner: number,
  room: number,
  bindings: KeyBindings,
): { title: string; lines: DialogLine[] } {
  const r = v.read;
  const filterKey = keyFor(bindings, 'filter');
  const where = r
    ? `${r.interface}, filter "${r.filter}", not promiscuous`
    : v.filter
      ? `filter "${v.filter}"`
      : 'no filter of yours';
  const cut = theme.glyph.ellipsis;
  const title = `Capture ${v.label}: ${where}`;
  const out: DialogLine[] = [];
  if (v.editing !== undefined) {
    out.push({ text: `filter: ${v.editing}${theme.glyph.caret}`, bold: true });
    out.push({
      text: 'a pcap-filter(7) expression, run in the kernel, e.g. icmp, tcp port 80, host 172.25.11.24',
      color: theme.color.muted,
    });
  }
  const state = (): DialogLine[] => {
    switch (v.phase) {
      case 'starting':
        return [{ text: `opening the capture${theme.glyph.ellipsis}`, color: theme.color.muted }];
      case 'refused':
        return [
          ...para(`filter refused: ${v.error ?? ''}`, inner, theme.color.error),
          {
            text: `${filterKey} types another; nothing is captured until one compiles`,
            color: theme.color.muted,
          },
        ];
      case 'failed':
        return [
          ...para(`capture failed: ${v.error ?? ''}`, inner, theme.color.error),
          {
            text: `${keyFor(bindings, 'cancel', theme.name !== 'plain')} closes; ${keyFor(bindings, 'capture')} opens it again`,
            color: theme.color.muted,
          },
        ];
      case 'open':
        return [];
    }
  };
  out.push(...state());
  if (v.phase !== 'open' || !r) return { title, lines: out };
  const health =
    r.state === 'live'
      ? { text: 'live', color: theme.color.ok }
      : r.state === 'stale'
        ? { text: `stale: no report for ${(r.ageMs / 1000).toFixed(0)} s`, color: theme.color.warn }
        : { text: `${r.state}: ${r.reason ?? ''}`, color: theme.color.error };
  out.push({
    text: `${health.text} ${theme.glyph.sep} ${r.packets} packets, ${r.dropped} dropped by the kernel${r.skipped ? `, ${r.skipped} lines not shown (rate limit)` : ''}${'peer' in v.target ? `; frames inside the tunnel` : ''}`,
    color: health.color,
  });
  if (r.packets === 0 && r.state !== 'failed' && r.state !== 'ended') {
    out.push(
      ...para(
        `no packets yet on ${r.interface} through "${r.filter}". Is traffic flowing? ${filterKey} changes the filter.`,
        inner,
        theme.color.muted,
      ),
    );
    return { title, lines: out };
  }
  // A third of the room for talkers (at least 2 rows), the rest for the newest headers.
  const left = Math.max(4, room - out.length);
  const talkers = r.talkers.slice(0, Math.max(2, Math.floor((left - 2) / 3)));
  const figures = `${'PKT/S'.padStart(9)} ${'BYTES/S'.padStart(9)} ${'PKTS'.padStart(7)}`;
  out.push({
    text: `PROTO ${fit(`TOP TALKERS (${r.flows} 5-tuples${r.overflow ? `, ${r.overflow} packets past the cap` : ''})`, inner - 6 - figures.length - 1, cut)} ${figures}`,
    bold: true,
  });
  out.push(...talkers.map((t) => ({ text: talkerLine(t, inner, cut) })));
  const { ends } = columns(inner);
  out.push({
    text: `${'TIME'.padEnd(12)} PROTO ${fit('SOURCE > DESTINATION', ends)} ${'LEN'.padStart(6)} FLAGS`,
    bold: true,
  });
  const rows = Math.max(1, room - out.length);
  out.push(...v.lines.slice(-rows).map((l) => ({ text: headerLine(l, inner, cut) })));
  return { title, lines: out };
}
