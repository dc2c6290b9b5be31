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

/**
 * What went wrong, for code to decide on (the TUI, scripts reading `--json`), where the kind alone does not
 * say: never the message's wording, which is for the operator and free to change. Carried in `--json` output
 * and over RPC (the JSON-RPC error's data).
 * - needs_reset: the router must be reset first (another driver is set up)
 * - not_running: the router (or a container) must be running for this
 * - not_built: the driver exists in name only
 * - not_found: the thing named is not there (a container, a peer, a check)
 * - in_use: the thing named is held by another (an address, a subnet)
 * - not_offered: the agent does not have this method (it is older than its client)
 * - rolled_back: the change was made, failed its check, and was put back by itself
 */
export type ErrorCode =
  'needs_reset' | 'not_running' | 'not_built' | 'not_found' | 'in_use' | 'not_offered' | 'rolled_back';

export interface ErrorDetail {
  kind: ErrorKind;
  code?: ErrorCode;
  message: string;
  /** The input that was wrong, e.g. "cidr" or "container". */
  field?: string;
  /** What the operator can do next. */
  hint?: string;
}

/** An error meant for the operator: what went wrong, which input, and what to do next. */
export class XnetError extends Error {
  readonly kind: ErrorKind;
  readonly code: ErrorCode | undefined;
  readonly field: string | undefined;
  readonly hint: string | undefined;

  constructor(detail: ErrorDetail) {
    super(detail.message);
    this.name = 'XnetError';
    this.kind = detail.kind;
    this.code = detail.code;
    this.field = detail.field;
    this.hint = detail.hint;
  }

  get exitCode(): ExitCode {
    return exitFor[this.kind];
  }

  toDetail(): ErrorDetail {
    const d: ErrorDetail = { kind: this.kind, message: this.message };
    if (this.code) d.code = this.code;
    if (this.field) d.field = this.field;
    if (this.hint) d.hint = this.hint;
    return d;
  }
}

export function badInput(field: string, message: string, hint?: string, code?: ErrorCode): XnetError {
  return new XnetError({
    kind: 'bad_input',
    field,
    message,
    ...(hint ? { hint } : {}),
    ...(code ? { code } : {}),
  });
}

export function failed(message: string, hint?: string, code?: ErrorCode): XnetError {
  return new XnetError({ kind: 'failed', message, ...(hint ? { hint } : {}), ...(code ? { code } : {}) });
}
