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

/** What a restart of dockerd does to the containers running now: with live-restore off, it stops them all. */
export const RestartImpact = z.object({
  liveRestore: z.boolean(),
  running: z.array(z.object({ id: z.string(), name: z.string() })),
});
export type RestartImpact = z.infer<typeof RestartImpact>;

/** A container after the restart: its real state, and whether it ran before. */
export const ContainerAfter = z.object({
  id: z.string(),
  name: z.string(),
  wasRunning: z.boolean(),
  running: z.boolean(),
  /** docker's words: "Up 3 seconds", "Exited (137) 2 seconds ago". */
  status: z.string(),
});
export type ContainerAfter = z.infer<typeof ContainerAfter>;

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
  /** Every container that ran before, as it is after (empty when dockerd could not be asked). */
  containers: z.array(ContainerAfter),
  /** Names started again after the restart (restartContainers). */
  restarted: z.array(z.string()),
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
  /** Which running containers a restart would stop; null when dockerd could not be asked. */
  impact: RestartImpact.nullable(),
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
      applying: z
        .object({
          phase: z.string(),
          since: z.string(),
          /** When the whole restart began, and how long dockerd may take to be healthy. */
          startedAt: z.string(),
          timeoutSeconds: z.number(),
        })
        .nullable(),
      /** Which running containers a restart would stop; null when dockerd could not be asked. */
      impact: RestartImpact.nullable(),
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
        /** Start again the containers the restart stopped (they get their addresses back by reconcile). */
        restartContainers: z.boolean().default(false),
      })
      .strict(),
    result: DockerdApplyResult,
  },
  'dockerd.rollback': {
    params: z
      .object({
        timeoutSeconds: z.number().int().min(5).max(600).default(60),
        restartContainers: z.boolean().default(false),
      })
      .strict(),
    result: DockerdApplyResult,
  },
  /** Starts containers (those an apply stopped); the agent's reconcile on their start gives addresses back. */
  'dockerd.startContainers': {
    params: z.object({ containers: z.array(z.string().min(1).max(128)).min(1).max(200) }).strict(),
    result: z.object({
      containers: z.array(z.object({ name: z.string(), running: z.boolean(), error: z.string().nullable() })),
    }),
  },
} as const;
