import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../../src/agent/client.js';
import { AgentConnection } from '../../src/agent/rpc.js';
import { XnetError } from '../../src/errors.js';
import { xnet } from '../helpers/cli.js';

// A real agent process; its dockerd is deliberately absent, so only what needs no docker is exercised here.
const NO_DOCKER = 'unix:///nonexistent/docker.sock';

async function waitForSocket(path: string): Promise<void> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 25));
}

describe('agent RPC', () => {
  let dir: string;
  let socket: string;
  let agent: ChildProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xnet-rpc-'));
    socket = join(dir, 'agent.sock');
    agent = spawn(
      process.execPath,
      [CLI_MAIN, 'agent', '--socket', socket, '--state-dir', join(dir, 'state'), '--docker-host', NO_DOCKER],
      { stdio: 'ignore' },
    );
    await waitForSocket(socket);
  });

  afterAll(async () => {
    if (agent.exitCode === null) agent.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on a socket only root can open', async () => {
    const st = await stat(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('answers status, and says its dockerd is unreachable', async () => {
    const c = await AgentConnection.open(socket);
    const s = await c.call('status', {});
    c.close();
    expect(s.pid).toBe(agent.pid);
    expect(s.docker.reachable).toBe(false);
    expect(s.attachments).toBe(0);
  });

  it('rejects params that fail the schema, naming the field', async () => {
    const c = await AgentConnection.open(socket);
    const err = await c.call('attach', { cidrs: [], container: 'web' }).catch((e: unknown) => e);
    const extra = await c.call('ps', { bogus: 1 } as never).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(XnetError);
    expect((err as XnetError).field).toBe('cidrs');
    expect((err as XnetError).exitCode).toBe(2);
    expect((extra as XnetError).kind).toBe('bad_input');
  });

  it('refuses to start a second agent on the same socket', async () => {
    const r = await xnet([
      'agent',
      '--socket',
      socket,
      '--state-dir',
      join(dir, 'state2'),
      '--docker-host',
      NO_DOCKER,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already answers on/);
  });

  it('exits 3 with a hint when no agent answers and --no-start is given', async () => {
    const r = await xnet(['status', '--socket', join(dir, 'none.sock'), '--no-start']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no xnet agent answers/);
    expect(r.stderr).toMatch(/hint:/);
  });

  it('starts an agent by itself when none answers', async () => {
    const auto = join(dir, 'auto.sock');
    const r = await xnet(['status', '--socket', auto, '--json'], {
      XNET_STATE_DIR: join(dir, 'auto-state'),
      DOCKER_HOST: NO_DOCKER,
    });
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { pid: number; socket: string };
    expect(s.socket).toBe(auto);
    process.kill(s.pid, 'SIGTERM');
    for (let i = 0; i < 100 && existsSync(auto); i++) await new Promise((res) => setTimeout(res, 20));
    expect(existsSync(auto)).toBe(false);
  });

  it('shuts down cleanly on SIGTERM and removes its socket', async () => {
    const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});
