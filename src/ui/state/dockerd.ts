import type { DockerdApplyResult, DockerdOption, Result } from '../../api/index.js';

export type DockerdView = Result<'dockerd.show'>;
export type DockerdDiff = Result<'dockerd.diff'>;

/** Where the editor is: the options, one being edited, the diff, the typed confirmation, the restart. */
export type DockerdPhase = 'list' | 'edit' | 'diff' | 'confirm' | 'applying' | 'result';

/** The agent's verdict on the value being typed (from `dockerd.diff` with a preview), for that exact text. */
export interface DockerdCheck {
  key: string;
  input: string;
  state: 'checking' | 'ok' | 'error';
  message: string;
}

/** The `o` editor: dockerd's options with their sources, edits staged locally until apply. */
export interface DockerdEditor {
  kind: 'dockerd';
  view: DockerdView | undefined;
  loadError?: string | undefined;
  phase: DockerdPhase;
  selected: number;
  /** Key -> the value typed (sent as text; the agent parses it), or null to unset back to the default. */
  edits: Record<string, string | null>;
  input: string;
  check: DockerdCheck | undefined;
  /** The diff of every edit, when asked for (d, and before apply). */
  preview: DockerdDiff | undefined;
  previewError?: string | undefined;
  scroll: number;
  confirmFor: 'apply' | 'rollback';
  typed: string;
  /** What the agent says the restart is doing, while it runs. */
  progress?: string | undefined;
  result?: DockerdApplyResult | undefined;
  error?: string | undefined;
}

export function openDockerd(): DockerdEditor {
  return {
    kind: 'dockerd',
    view: undefined,
    phase: 'list',
    selected: 0,
    edits: {},
    input: '',
    check: undefined,
    preview: undefined,
    scroll: 0,
    confirmFor: 'apply',
    typed: '',
  };
}

/** Edits as the agent's changes: set with text values, unset for nulls. */
export function changesOf(edits: Readonly<Record<string, string | null>>): {
  set: { key: string; value: string }[];
  unset: string[];
} {
  const set: { key: string; value: string }[] = [];
  const unset: string[] = [];
  for (const [key, value] of Object.entries(edits)) {
    if (value === null) unset.push(key);
    else set.push({ key, value });
  }
  return { set, unset };
}

/** Edits the editor starts from: whatever is already staged (by `xnet-tui dockerd set`), so none is lost. */
export function editsFromStaged(
  view: DockerdView,
  format: (v: unknown) => string,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const s of view.staged) out[s.key] = s.value === null ? null : format(s.value);
  return out;
}

/** The value in effect as the operator reads it, and where it comes from. */
export function effective(
  o: DockerdOption,
  format: (v: unknown) => string,
): { value: string; source: string } {
  if (o.source === 'conflict')
    return {
      value: `${format(o.flagValue ?? undefined)} | ${format(o.fileValue ?? undefined)}`,
      source: 'flag AND daemon.json',
    };
  if (o.source === 'default') return { value: o.defaultText, source: 'default' };
  return { value: format(o.value ?? undefined), source: o.source };
}
