import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AgentConnection, listen, rpcServer, type Handlers } from '../../src/agent/rpc.js';
import { reportError } from '../../src/cli/output.js';
import { badInput, XnetError } from '../../src/errors.js';

// The real RPC server and client over a real unix socket; only the handlers are stand-ins.
describe('error codes', () => {
  let dir: string;
  let server: Server;
  let socket: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xnet-errors-'));
    socket = join(dir, 'agent.sock');
    const handlers = {
      launch: async () => {
        throw badInput('driver', 'worded any way at all', 'reset first', 'needs_reset');
      },
    } as unknown as Handlers;
    server = await listen(
      socket,
      rpcServer(handlers, () => undefined),
    );
  });

  afterAll(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('cross RPC in the error data, beside kind, field and hint', async () => {
    const c = await AgentConnection.open(socket);
    const err = await c.call('launch', { peers: [] }).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(XnetError);
    expect((err as XnetError).toDetail()).toEqual({
      kind: 'bad_input',
      code: 'needs_reset',
      field: 'driver',
      message: 'worded any way at all',
      hint: 'reset first',
    });
  });

  it('say not_offered for a method the agent does not have (JSON-RPC keeps its own -32601)', async () => {
    const c = await AgentConnection.open(socket);
    const err = await c.call('no.such.method' as never, {} as never).catch((e: unknown) => e);
    c.close();
    expect(err).toBeInstanceOf(XnetError);
    expect((err as XnetError).code).toBe('not_offered');
  });

  it('are in --json output', () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const exit = reportError(badInput('driver', 'x', undefined, 'not_built'), true);
    spy.mockRestore();
    expect(exit).toBe(2);
    expect(JSON.parse(out.join(''))).toEqual({
      error: { kind: 'bad_input', code: 'not_built', field: 'driver', message: 'x' },
    });
  });
});
