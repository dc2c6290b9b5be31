import { failed } from '../errors.js';
import { forgetLinks } from './batch-session.js';
import { linksTouched } from './ip.js';
import { LongLivedChild } from './long-lived.js';
import { diesWithParent, netnsOfPid, type NetnsPath } from './netns.js';

/**
 * The runner's loop, in sh: a request is the tool (ip, tc or iptables-restore), the namespace's path, a count,
 * and that many input lines; it answers with the tool's stderr and "xnet-end <exit code>". Every value is read
 * with `read -r` and passed as one argument or as the tool's input, never evaluated; the tool is one of three
 * names, each with fixed arguments. nsenter opens the path on every request, so a namespace removed and made
 * again under the same name is the new one.
 */
const LOOP = `
while IFS= read -r tool && IFS= read -r ns && IFS= read -r n; do
  body=
  while [ "$n" -gt 0 ]; do IFS= read -r l; body="$body$l
"; n=$((n - 1)); done
  case "$tool" in
    ip|tc) set -- "$tool" -batch - ;;
    iptables-restore) set -- iptables-restore -w 5 --noflush ;;
    *) echo "xnet-end 127"; continue ;;
  esac
  printf '%s' "$body" | nsenter "--net=$ns" -- "$@" 2>&1 >/dev/null
  echo "xnet-end $?"
done`;
const END = /^xnet-end (\d+)$/;
const IDLE_MS = 5_000;
const TIMEOUT_MS = 10_000;

/**
 * `ip -batch` or `tc -batch` in any namespace (a container's, the overlay's), started by a long-lived shell
 * rather than by the agent. A spawn from Node blocks the agent's thread until the child has exec'd (libuv
 * waits for it): a few ms on a quiet machine, tens under load, on every attach's path. The shell forks for
 * it instead, a small process, while the agent goes on. Same result as ipBatch: the lines run in order and
 * stop at the first that fails, whose error is the rejection's. Ended after 5 s idle.
 */
export class NetnsRunner {
  readonly #shell = new LongLivedChild({
    argv: () => diesWithParent(['sh', ['-c', LOOP]]),
    name: 'sh',
    timeoutMs: TIMEOUT_MS,
    idleMs: IDLE_MS,
    signal: 'SIGTERM',
  });

  /** Runs `ip -batch` with these lines in the namespace at `netns` (a path; undefined: the agent's own). */
  ipBatch(netns: NetnsPath, lines: readonly string[]): Promise<void> {
    return this.#batch('ip', netns ?? netnsOfPid(process.pid), lines);
  }

  /** Runs `tc -batch` with these lines in the namespace at `netns` (a path; undefined: the agent's own). */
  tcBatch(netns: NetnsPath, lines: readonly string[]): Promise<void> {
    return this.#batch('tc', netns ?? netnsOfPid(process.pid), lines);
  }

  /**
   * Runs `iptables-restore --noflush` with this input in the namespace at `netns`: one commit, as the tool
   * does it, without a fork of the agent (a spawn from Node copies its page tables: at 50 lab hosts the forks
   * were a sixth of the machine while a mesh formed).
   */
  iptablesRestore(netns: NetnsPath, input: string): Promise<void> {
    return this.#batch(
      'iptables-restore',
      netns ?? netnsOfPid(process.pid),
      input.replace(/\n$/, '').split('\n'),
    );
  }

  async #batch(
    tool: 'ip' | 'tc' | 'iptables-restore',
    netns: string,
    lines: readonly string[],
  ): Promise<void> {
    if (lines.length === 0) return;
    for (const l of [netns, ...lines])
      if (/[\n\r]/.test(l)) throw new Error(`${tool} line with a line break: ${JSON.stringify(l)}`);
    const said: string[] = [];
    try {
      await this.#shell.request<void>(`${tool}\n${netns}\n${lines.length}\n${lines.join('\n')}\n`, (line) => {
        const m = END.exec(line);
        if (!m) {
          if (line.trim()) said.push(line.trim());
          return undefined;
        }
        if (m[1] === '0') return { value: undefined };
        return { error: new Error(said.join('; ') || `exit code ${m[1]}`) };
      });
    } catch (err) {
      throw failed(
        `${tool === 'iptables-restore' ? tool : `${tool} -batch`} in ${netns}: ${(err as Error).message}`,
      );
    } finally {
      // As ip.ts's ipBatch: the long-lived sessions that resolved a device made or removed here start afresh.
      if (tool === 'ip') for (const [ns, names] of linksTouched(netns, lines)) forgetLinks(ns, names);
    }
  }

  /** Ends the shell (idempotent); requests under way fail. */
  close(): void {
    this.#shell.close();
  }
}
