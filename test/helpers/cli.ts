import { execFile, execFileSync } from 'node:child_process';
import { CLI_MAIN } from '../../src/agent/client.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as an operator would, and returns its exit code and output. */
export function xnet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_MAIN, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export async function xnetJson<T>(args: string[]): Promise<T> {
  const r = await xnet([...args, '--json']);
  if (r.code !== 0) throw new Error(`xnet-tui ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Runs a command inside a lab host with its DOCKER_HOST set, through the CLI's own `lab exec`. */
export function labSh(host: string, argv: string[]): string {
  return execFileSync(process.execPath, [CLI_MAIN, 'lab', 'exec', host, '--', ...argv], { encoding: 'utf8' });
}

export function sh(file: string, argv: string[]): string {
  return execFileSync(file, argv, { encoding: 'utf8' });
}
