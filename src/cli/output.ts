import { CommanderError } from 'commander';
import { ExitCode, XnetError, type ErrorDetail } from '../errors.js';

export interface OutputOptions {
  json?: boolean;
}

/** Prints a command's result: JSON for scripts, text for people. */
export function emit<T>(opts: OutputOptions, data: T, human: (d: T) => string): void {
  if (opts.json) process.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else {
    const text = human(data);
    if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }
}

/** Fixed-width columns, the way `docker ps` lays them out. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Prints an error with its hint and returns the exit code the contract gives it. */
export function reportError(err: unknown, json: boolean): ExitCode {
  let detail: ErrorDetail;
  let code: ExitCode;
  if (err instanceof XnetError) {
    detail = err.toDetail();
    code = err.exitCode;
  } else if (err instanceof CommanderError) {
    detail = { kind: 'bad_input', message: err.message.replace(/^error: /, ''), hint: 'see --help' };
    code = ExitCode.badInput;
  } else {
    detail = { kind: 'failed', message: (err as Error)?.message ?? String(err) };
    code = ExitCode.failed;
  }
  if (json) {
    process.stdout.write(JSON.stringify({ error: detail }, null, 2) + '\n');
  } else {
    const where = detail.field ? ` (${detail.field})` : '';
    process.stderr.write(`xnet-tui: error${where}: ${detail.message}\n`);
    if (detail.hint) process.stderr.write(`  hint: ${detail.hint}\n`);
  }
  return code;
}
