// What staged changes would do, before anything is written: staging the request, the candidate validation
// sees, the files a plan writes, the diff result. Pure; split from apply.ts, whose class adds the effects.
import type { z } from 'zod';
import { badInput, XnetError } from '../../errors.js';
import type { DockerdChanges, Result } from '../../api/index.js';
import { isOptionKey, type OptionKey } from './options.js';
import { mergeStaged, plan, stageChange, type Plan, type Sources, type StagedChange } from './plan.js';
import { blocking, validate, type Candidate, type Finding, type HostFacts } from './validate.js';

type Changes = z.infer<typeof DockerdChanges>;
type DiffResult = Result<'dockerd.diff'>;

/** The diff result for `staged` on top of `src`: the files it would write and what validation finds. Pure. */
export function diffResult(
  src: Sources,
  staged: StagedChange[],
  facts: HostFacts,
  impact: DiffResult['impact'],
): DiffResult {
  let p: Plan;
  try {
    p = plan(src, staged);
  } catch (err) {
    if (!(err instanceof XnetError)) throw err;
    const finding: Finding = {
      severity: 'error',
      rule: 'cannot-write',
      key: err.field ?? 'files',
      message: err.message,
      hint: err.hint ?? null,
    };
    return {
      staged,
      files: [],
      notes: [],
      findings: [finding],
      blocked: true,
      refused: err.message,
      impact,
    };
  }
  const findings = validate(candidate(src, p), facts);
  return {
    staged,
    files: planFiles(p),
    notes: p.notes,
    findings,
    blocked: blocking(findings, { insecureTcp: false }).length > 0 || planFiles(p).length === 0,
    refused: null,
    impact,
  };
}

export function stageAll(src: Sources, base: StagedChange[], p: Changes): StagedChange[] {
  let staged = base;
  for (const s of p.set) staged = mergeStaged(staged, stageChange(src.daemon, s.key, s.value, p.to));
  for (const key of p.unset) staged = mergeStaged(staged, stageChange(src.daemon, key, null));
  for (const m of p.move) {
    if (!isOptionKey(m.key))
      throw badInput(m.key, `"${m.key}" is not a dockerd network option xnet-tui manages`);
    const value = src.daemon.values[m.key as OptionKey] ?? src.flags.settings[m.key as OptionKey]?.value;
    if (value === undefined)
      throw badInput(
        m.key,
        `${m.key} is set neither in daemon.json nor as a flag; there is nothing to move`,
        `xnet-tui dockerd set ${m.key}=VALUE`,
      );
    staged = mergeStaged(staged, { key: m.key, value, to: m.to });
  }
  return staged;
}

export function candidate(src: Sources, p: Plan | null): Candidate {
  return {
    fileRaw: p ? p.fileRaw : src.daemon.raw,
    filePath: src.daemon.path,
    fileNonStandard: p?.daemonJson ? null : src.daemon.nonStandard,
    flags: p ? p.flags : src.flags,
    flagsFile: p?.dropIn ? p.dropIn.path : (src.exec?.file ?? null),
    argv: p ? p.argv : (src.exec?.argv ?? []),
  };
}

export function planFiles(p: Plan): DiffResult['files'] {
  return [p.daemonJson, p.dropIn]
    .filter((f) => f !== null)
    .map((f) => ({ path: f.path, created: f.before === null, diff: f.diff }));
}

export function fileFinding(src: Sources): Finding {
  return {
    severity: 'error',
    rule: 'file-unusable',
    key: 'daemon.json',
    message: `${src.daemon.path} is ${src.daemon.state}: ${src.daemon.error}; dockerd will not start with it, and xnet-tui will not overwrite it`,
    hint: 'fix it by hand (or move it aside), then `xnet-tui dockerd show` again',
  };
}
