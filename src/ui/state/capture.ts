import type { CaptureLine, CaptureRead } from '../../api/capture.js';
import type { UIState } from './model.js';
import { peerRows, selectedContainer, selectedIndex } from './rows.js';

/**
 * The capture view (a dialog): the selected container's port or peer's tunnel, looked at live while it is open.
 * `useCapture` opens the agent's capture for (target, filter), reads it twice a second and closes it when the
 * view closes or the filter changes; this file is the pure part: what to open, and merging what was read.
 */
export interface CaptureView {
  kind: 'capture';
  target: { container: string } | { peer: string };
  /** How the view names it: `web`, `peer two`. */
  label: string;
  /** The operator's kernel filter ('' = only ours: every frame on a container's port, the peer's tunnel). */
  filter: string;
  /** The `/` prompt's text while a new filter is typed. */
  editing?: string;
  /** starting: asking the agent; refused: the filter did not compile (the old one is closed); failed: see error. */
  phase: 'starting' | 'open' | 'refused' | 'failed';
  error?: string;
  /** The agent's last answer (talkers, counters, state); lines are kept below. */
  read?: Omit<CaptureRead, 'lines'>;
  /** Decoded headers, oldest first, at most VIEW_LINES. */
  lines: CaptureLine[];
}

/** Lines the view keeps: more than a 160x48 screen shows. */
export const VIEW_LINES = 100;

/** The session a view stands for: a new filter or target is a new capture. */
export function captureKey(v: CaptureView): string {
  return `${JSON.stringify(v.target)}\0${v.filter}`;
}

/** The view for the selected row, or why there is none (the words for the event line). */
export function openCapture(s: UIState): CaptureView | string {
  const base = { kind: 'capture' as const, filter: '', phase: 'starting' as const, lines: [] };
  if (s.focus === 'containers') {
    const c = selectedContainer(s);
    if (!c?.attachment) return 'capture: select an attached container (its overlay port is what is captured)';
    return { ...base, target: { container: c.name }, label: c.name };
  }
  if (s.focus === 'peers') {
    const p = peerRows(s)[selectedIndex(s, 'peers')];
    if (!p) return 'capture: select a peer';
    if (p.self)
      return 'capture: select another host (this row is this host; capture a container for its own traffic)';
    const name = p.nickname || p.address;
    return { ...base, target: { peer: name }, label: `peer ${name}` };
  }
  return 'capture: select a container in Containers or a peer in Peers';
}

/** What the agent said, merged into the view it was asked for (dropped if the view moved on). */
export type CaptureUpdate =
  { key: string; read: CaptureRead } | { key: string; refused: string } | { key: string; failed: string };

export function mergeCapture(v: CaptureView, u: CaptureUpdate): CaptureView {
  if (captureKey(v) !== u.key) return v;
  if ('refused' in u) return { ...v, phase: 'refused', error: u.refused, read: undefined, lines: [] };
  if ('failed' in u) return { ...v, phase: 'failed', error: u.failed };
  const { lines, ...read } = u.read;
  const fresh = lines.filter((l) => l.seq > (v.read?.latest ?? 0));
  if (v.phase === 'open' && fresh.length === 0 && JSON.stringify(read) === JSON.stringify(v.read)) return v;
  return {
    ...v,
    phase: 'open',
    error: undefined,
    read,
    lines: fresh.length ? [...v.lines, ...fresh].slice(-VIEW_LINES) : v.lines,
  };
}
