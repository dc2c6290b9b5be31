import { describe, expect, it } from 'vitest';
import { LongLivedChild } from '../../src/net/long-lived.js';
import { alive } from '../helpers/wait.js';

// A real child: sh echoing each line back, and answering "slow" after 5 s.
const echo = (timeoutMs = 2_000, idleMs?: number): LongLivedChild =>
  new LongLivedChild({
    argv: () => ['sh', ['-c', 'while IFS= read -r l; do [ "$l" = slow ] && sleep 5; echo "got $l"; done']],
    name: 'echo',
    timeoutMs,
    ...(idleMs !== undefined ? { idleMs } : {}),
  });
const one = (line: string) => ({ value: line });

describe('LongLivedChild: one process, requests answered in order', () => {
  it('unref: neither the child nor its pipes keep the event loop alive once its requests are answered', async () => {
    const pipes = () => process.getActiveResourcesInfo().filter((r) => r === 'PipeWrap').length;
    const before = pipes();
    const c = new LongLivedChild({
      argv: () => ['sh', ['-c', 'while IFS= read -r l; do echo "got $l"; done']],
      name: 'echo',
      timeoutMs: 2_000,
      unref: true,
    });
    expect(await c.request('a\n', one)).toBe('got a');
    expect(c.running).toBe(true);
    expect(pipes()).toBe(before);
    expect(process.getActiveResourcesInfo()).not.toContain('ProcessWrap');
    c.close();
  });

  it('answers a FIFO of requests from one process', async () => {
    const c = echo();
    const answers = await Promise.all(['a', 'b', 'c'].map((x) => c.request(`${x}\n`, one)));
    expect(answers).toEqual(['got a', 'got b', 'got c']);
    const pid = c.pid;
    expect(await c.request('d\n', one)).toBe('got d');
    expect(c.pid).toBe(pid);
    c.close();
  });

  it('collects several lines per answer, and an error the request reports keeps the child', async () => {
    const c = echo();
    const lines: string[] = [];
    const two = c.request(
      'x\ny\n',
      (l) => (lines.push(l), lines.length === 2 ? { value: lines } : undefined),
    );
    expect(await two).toEqual(['got x', 'got y']);
    const pid = c.pid;
    await expect(c.request('z\n', () => ({ error: new Error('refused z') }))).rejects.toThrow('refused z');
    expect(c.pid).toBe(pid);
    c.close();
  });

  it('a timeout rejects every waiting request, kills the child, and the next request starts another', async () => {
    const c = echo(300);
    const pid = c.pid;
    expect(pid).toBeUndefined();
    await c.request('a\n', one);
    const first = c.pid!;
    const stuck = c.request('slow\n', one);
    const behind = c.request('b\n', one);
    await expect(stuck).rejects.toThrow(/no answer from echo in 300 ms/);
    await expect(behind).rejects.toThrow(/no answer/);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(first)).toBe(false);
    expect(await c.request('c\n', one)).toBe('got c');
    expect(c.pid).not.toBe(first);
    c.close();
  });

  it('a child that exits fails what waits, with its reason', async () => {
    const c = new LongLivedChild({
      argv: () => ['sh', ['-c', 'read l; echo "bad input" >&2; exit 3']],
      name: 'quitter',
      timeoutMs: 2_000,
    });
    await expect(c.request('a\n', one)).rejects.toThrow(/quitter exited \(bad input\)/);
    expect(c.running).toBe(false);
  });

  it('ends after its idle time and starts again on the next request', async () => {
    const c = echo(2_000, 100);
    await c.request('a\n', one);
    const first = c.pid!;
    await new Promise((r) => setTimeout(r, 300));
    expect(c.running).toBe(false);
    expect(await c.request('b\n', one)).toBe('got b');
    expect(c.pid).not.toBe(first);
    c.close();
  });

  it('an answer that came while the agent got no CPU for the whole timeout is taken, not timed out', async () => {
    const c = echo(200);
    expect(await c.request('warm\n', one)).toBe('got warm'); // the child runs
    const pid = c.pid;
    const answer = c.request('a\n', one);
    // The event loop held past the timeout (as a loaded machine does to a runnable agent): when it runs again,
    // the timer is due and the answer is in the pipe at once.
    const until = Date.now() + 600;
    while (Date.now() < until) {
      /* busy */
    }
    expect(await answer).toBe('got a');
    expect(c.pid).toBe(pid);
    c.close();
  });
});
