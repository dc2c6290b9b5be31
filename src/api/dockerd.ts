import { z } from 'zod';
import { OptionValue, StagedChange } from './dockerd-values.js';

/**
 * dockerd's network options: what is in effect and where it comes from, staged edits, their diff and
 * validation, apply with automatic rollback. Everything a TUI editor needs (catalog, live validation through
 * `dockerd.diff` with `preview`, progress through `dockerd.show`'s `applying`) is here.
 */

export const DockerdFinding = z.object({
  severity: z.enum(['error', 'warning', 'confirm']),
  rule: z.string(),
  key: z.string(),
  message: z.string(),
  hint: z.string().nullable(),
});
export type DockerdFinding = z.infer<typeof DockerdFinding>;

export const DockerdOption = z.object({
  key: z.string(),
  value: OptionValue.nullable(),
  /** Where the value in effect comes from; `conflict`: both, and dockerd refuses to start. */
  source: z.enum(['daemon.json', 'flag', 'default', 'conflict']),
  file: z.string().nullable(),
  fileValue: OptionValue.nullable(),
  flagValue: OptionValue.nullable(),
  defaultText: z.string(),
});
export type DockerdOption = z.infer<typeof DockerdOption>;

export const DockerdCatalogEntry = z.object({
  key: z.string(),
  kind: z.string(),
  flag: z.string(),
  description: z.string(),
  defaultText: z.string(),
});

export const DockerdFileDiff = z.object({ path: z.string(), created: z.boolean(), diff: z.string() });

export const DockerdChanges = z
  .object({
    set: z.array(z.object({ key: z.string(), value: z.unknown() }).strict()).default([]),
    unset: z.array(z.string()).default([]),
    /** Move a key set both ways (or set in one place) to daemon.json or to the flags, keeping its value. */
    move: z.array(z.object({ key: z.string(), to: z.enum(['daemon.json', 'flag']) }).strict()).default([]),
    /** Where new `set` values go (default: where the key already lives, else daemon.json). */
    to: z.enum(['daemon.json', 'flag']).optional(),
  })
  .strict();

export const DockerdApplyStep = z.object({
  step: z.string(),
  ok: z.boolean(),
  ms: z.number(),
  detail: z.string().nullable(),
});

export const DockerdApplyResult = z.object({
  outcome: z.enum(['applied', 'rolled-back', 'rollback-failed']),
  /** Why the new configuration failed, when it did. */
  reason: z.string().nullable(),
  /** dockerd's own log lines from the failed start. */
  daemonLog: z.array(z.string()),
  backup: z.string(),
  files: z.array(DockerdFileDiff),
  steps: z.array(DockerdApplyStep),
  findings: z.array(DockerdFinding),
  reattached: z.number(),
});
export type DockerdApplyResult = z.infer<typeof DockerdApplyResult>;

const Diff = z.object({
  staged: z.array(StagedChange),
  files: z.array(DockerdFileDiff),
  notes: z.array(z.string()),
  findings: z.array(DockerdFinding),
  /** Whether apply would refuse (an error, or a confirmation not given). */
  blocked: z.boolean(),
  /** When the files on disk cannot be changed at all (unreadable daemon.json...), why. */
  refused: z.string().nullable(),
});

export const dockerdApi = {
  'dockerd.show': {
    params: z.object({}).strict(),
    result: z.object({
      configPath: z.string(),
      daemonJson: z.object({
        state: z.enum(['absent', 'ok', 'unreadable', 'invalid']),
        error: z.string().nullable(),
        nonStandard: z.string().nullable(),
        unknownKeys: z.array(z.string()),
      }),
      execStart: z.object({ file: z.string(), argv: z.array(z.string()) }).nullable(),
      dropInPath: z.string(),
      restart: z.string(),
      options: z.array(DockerdOption),
      findings: z.array(DockerdFinding),
      staged: z.array(StagedChange),
      catalog: z.array(DockerdCatalogEntry),
      backups: z.array(z.object({ id: z.string(), at: z.string(), files: z.array(z.string()) })),
      /** The apply or rollback in progress, for a progress view that polls. */
      applying: z.object({ phase: z.string(), since: z.string() }).nullable(),
    }),
  },
  'dockerd.stage': {
    params: DockerdChanges.extend({ clear: z.boolean().default(false) }).strict(),
    result: Diff,
  },
  'dockerd.diff': {
    /** `preview`: changes to consider as if staged, without staging them (live validation while editing). */
    params: z.object({ preview: DockerdChanges.optional() }).strict(),
    result: Diff,
  },
  'dockerd.apply': {
    params: z
      .object({
        allowInsecureTcp: z.boolean().default(false),
        timeoutSeconds: z.number().int().min(5).max(600).default(60),
      })
      .strict(),
    result: DockerdApplyResult,
  },
  'dockerd.rollback': {
    params: z.object({ timeoutSeconds: z.number().int().min(5).max(600).default(60) }).strict(),
    result: DockerdApplyResult,
  },
} as const;
