import { createConnection } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labHost } from '../../src/lab/layout.js';
import { labSh, sh, xnet, xnetJson } from '../helpers/cli.js';

// Issue 14's fault suite: a hostile or unlucky operator against a real 3-host lab (dockerd, agents, serf, VXLAN).
const [h1, h2, h3] = [1, 2, 3].map(labHost) as [
  ReturnType<typeof labHost>,
  ReturnType<typeof labHost>,
  ReturnType<typeof labHost>,
];
const nsh = (h: { netnsPath: string }, argv: string[]): string =>
  sh('nsenter', [`--net=${h.netnsPath}`, '--', ...argv]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function agentPid(host: string): Promise<number> {
  return (await xnetJson<{ pid: number }>(['--lab', host, 'status'])).pid;
}
function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
}
/** What a refused input must leave alone: h1's links, addresses and FDB, and its state file. */
function snapshot(): string {
  const state = join(h1.agentStateDir, 'state.json');
  return JSON.stringify([
    nsh(h1, ['ip', '-o', 'link', 'show']).replace(/\s+link\/\S+ \S+ brd \S+/g, ''),
    nsh(h1, ['ip', '-o', 'addr', 'show']).replace(/valid_lft.*$/gm, ''),
    existsSync(state) ? readFileSync(state, 'utf8') : '',
  ]);
}

beforeAll(async () => {
  const up = await xnet(['lab', 'up', '--hosts', '3']);
  expect(up.code, up.stderr).toBe(0);
  for (const h of [h1, h2, h3]) {
    labSh(h.name, ['docker', 'run', '-d', '--name', `f${h.index}`, 'xnet/busybox', 'sleep', '3600']);
  }
}, 240_000);

afterAll(async () => {
  await xnet(['lab', 'down']);
}, 120_000);

describe('item 4: input cannot crash the agent', () => {
  it('refuses container references docker would not accept, exit 2, field named, nothing changed', async () => {
    const pid = await agentPid('h1');
    const before = snapshot();
    for (const ref of ['..', 'a;id', '$(id)', 'wéb', '../../info', 'a|b', 'a b', 'web\n']) {
      const r = await xnet(['--lab', 'h1', 'attach', '172.25.11.50/24', ref, '--json']);
      expect(r.code, `${ref}: ${r.stdout}${r.stderr}`).toBe(2);
      const err = JSON.parse(r.stdout).error as { kind: string; field: string; hint?: string };
      expect(err.kind).toBe('bad_input');
      expect(err.field).toBe('container');
      expect(err.hint).toMatch(/docker ps/);
      const d = await xnet(['--lab', 'h1', 'detach', ref, '--json']);
      expect(d.code, `detach ${ref}: ${d.stdout}`).toBe(2);
      const p = await xnet(['--lab', 'h1', 'ping', '10.32.0.1', '--from', ref, '--count', '1', '--json']);
      expect(p.code, `ping --from ${ref}: ${p.stdout}`).toBe(2);
    }
    // The redirect dockerode followed ended the agent 2.5 s after `attach ... ..`: still the same one 4 s on.
    await sleep(4_000);
    expect(await agentPid('h1')).toBe(pid);
    expect(snapshot()).toBe(before);
  }, 60_000);

  it('answers a request line over the cap with a JSON-RPC error, closes it, and keeps its memory', async () => {
    const pid = await agentPid('h1');
    const rssBefore = rssKb(pid);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = createConnection(h1.agentSocket);
      let got = '';
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`no answer and no close within 10 s (got ${got.length} bytes)`));
      }, 10_000);
      s.on('data', (b) => (got += b.toString()));
      s.on('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
      s.on('error', () => undefined);
      const chunk = Buffer.alloc(1 << 20, 'a');
      // 64 MiB of one line, no newline: the agent must stop reading long before the end.
      let sent = 0;
      const more = (): void => {
        while (sent < 64 && !s.destroyed) {
          sent++;
          if (!s.write(chunk)) return void s.once('drain', more);
        }
      };
      s.on('connect', more);
    });
    const answer = JSON.parse(reply.split('\n')[0]!) as { error: { code: number; data: { field: string } } };
    expect(answer.error.code).toBe(-32600);
    expect(answer.error.data.field).toBe('request');
    expect(await agentPid('h1')).toBe(pid);
    // The cap is 1 MiB: the agent's RSS may not grow by the 64 MiB it was sent.
    expect(rssKb(pid) - rssBefore).toBeLessThan(32 * 1024);
  }, 60_000);
});
