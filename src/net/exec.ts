import { execFile, type ExecFileOptions } from 'node:child_process';
import { failed } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs a program with an argument array (never a shell string) and resolves with its output. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const options: ExecFileOptions = {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 30_000,
    ...(opts.env ? { env: opts.env } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = execFile(file, [...args], options, (err, stdout, stderr) => {
      if (err) {
        const detail = String(stderr).trim() || err.message;
        reject(Object.assign(failed(`${file} ${args.join(' ')}: ${detail}`), { stderr: String(stderr) }));
        return;
      }
      resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
