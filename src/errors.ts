/** Exit codes are the command contract (DESIGN.md): scripts branch on them. */
export const ExitCode = { ok: 0, failed: 1, badInput: 2, noAgent: 3 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'bad_input' | 'failed' | 'no_agent' | 'permission_denied';

const exitFor: Record<ErrorKind, ExitCode> = {
  bad_input: ExitCode.badInput,
  failed: ExitCode.failed,
  no_agent: ExitCode.noAgent,
  permission_denied: ExitCode.failed,
};

export interface ErrorDetail {
  kind: ErrorKind;
  message: string;
  /** The input that was wrong, e.g. "cidr" or "container". */
  field?: string;
  /** What the operator can do next. */
  hint?: string;
}

/** An error meant for the operator: what went wrong, which input, and what to do next. */
export class XnetError extends Error {
  readonly kind: ErrorKind;
  readonly field: string | undefined;
  readonly hint: string | undefined;

  constructor(detail: ErrorDetail) {
    super(detail.message);
    this.name = 'XnetError';
    this.kind = detail.kind;
    this.field = detail.field;
    this.hint = detail.hint;
  }

  get exitCode(): ExitCode {
    return exitFor[this.kind];
  }

  toDetail(): ErrorDetail {
    const d: ErrorDetail = { kind: this.kind, message: this.message };
    if (this.field) d.field = this.field;
    if (this.hint) d.hint = this.hint;
    return d;
  }
}

export function badInput(field: string, message: string, hint?: string): XnetError {
  return new XnetError({ kind: 'bad_input', field, message, ...(hint ? { hint } : {}) });
}

export function failed(message: string, hint?: string): XnetError {
  return new XnetError({ kind: 'failed', message, ...(hint ? { hint } : {}) });
}
