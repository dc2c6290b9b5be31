import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  JSONRPCClient,
  JSONRPCErrorCode,
  JSONRPCErrorException,
  JSONRPCServer,
  type JSONRPCResponse,
} from 'json-rpc-2.0';
import type { z } from 'zod';
import { api, type Handlers, type Method, type Params, type Result } from '../api/index.js';
import { badInput, XnetError, type ErrorDetail } from '../errors.js';

/** JSON-RPC 2.0, one JSON document per line, over a unix socket only root can open. */

const XNET_ERROR = 1;

export type { Handlers } from '../api/index.js';

function zodToBadInput(method: string, err: z.ZodError): XnetError {
  const issue = err.issues[0];
  const field = issue?.path.join('.') || 'params';
  return badInput(field, `${method}: ${field}: ${issue?.message ?? 'invalid'}`, 'see `xnet-tui --help`');
}

export function rpcServer(handlers: Handlers, log: (msg: string) => void): JSONRPCServer {
  // Errors are answered to the caller and logged above; the library's own console logging is noise.
  const server = new JSONRPCServer({ errorListener: () => undefined });
  for (const method of Object.keys(api) as Method[]) {
    server.addMethod(method, async (raw: unknown) => {
      const parsed = api[method].params.safeParse(raw ?? {});
      try {
        if (!parsed.success) throw zodToBadInput(method, parsed.error);
        return await (handlers[method] as (p: unknown) => Promise<unknown>)(parsed.data);
      } catch (err) {
        const detail: ErrorDetail =
          err instanceof XnetError
            ? err.toDetail()
            : { kind: 'failed', message: (err as Error).message ?? String(err) };
        if (detail.kind !== 'bad_input') log(`${method} failed: ${detail.message}`);
        throw new JSONRPCErrorException(detail.message, XNET_ERROR, detail);
      }
    });
  }
  return server;
}

/** Listens on `path` with mode 0600; refuses if another agent already answers there. */
export async function listen(path: string, server: JSONRPCServer): Promise<Server> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  if (await answers(path)) {
    throw new XnetError({
      kind: 'failed',
      message: `an agent already answers on ${path}`,
      hint: 'stop it first, or pass --socket for another',
    });
  }
  await unlink(path).catch(() => undefined);
  const sockets = new Set<Socket>();
  const srv = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    // readline re-emits the socket's errors (a client gone mid-call: ECONNRESET); unhandled, they end the agent.
    lines.on('error', () => socket.destroy());
    lines.on('line', (line) => {
      void server.receiveJSON(line).then((response) => {
        if (response && !socket.destroyed) socket.write(JSON.stringify(response) + '\n');
      });
    });
  });
  const old = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(path, () => resolve());
    });
  } finally {
    process.umask(old);
  }
  await chmod(path, 0o600);
  srv.on('close', () => sockets.forEach((s) => s.destroy()));
  return srv;
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A connection to an agent. Results are checked against the same schemas the agent uses. */
export class AgentConnection {
  readonly #socket: Socket;
  readonly #client: JSONRPCClient;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.#client = new JSONRPCClient((request) => {
      socket.write(JSON.stringify(request) + '\n');
    });
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    lines.on('error', () => socket.destroy());
    lines.on('line', (line) => this.#client.receive(JSON.parse(line) as JSONRPCResponse));
    socket.on('close', () => this.#client.rejectAllPendingRequests('the agent closed the connection'));
  }

  static open(path: string, timeoutMs = 2_000): Promise<AgentConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(Object.assign(new Error(`timed out connecting to ${path}`), { code: 'ETIMEDOUT' }));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('error', () => undefined);
        resolve(new AgentConnection(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  async call<M extends Method>(method: M, params: Params<M>): Promise<Result<M>> {
    try {
      const raw: unknown = await this.#client.request(method, params);
      return api[method].result.parse(raw) as Result<M>;
    } catch (err) {
      if (err instanceof JSONRPCErrorException && err.code === XNET_ERROR && err.data) {
        throw new XnetError(err.data as ErrorDetail);
      }
      if (err instanceof JSONRPCErrorException)
        throw new XnetError({
          kind: 'failed',
          message: err.message,
          ...(err.code === JSONRPCErrorCode.MethodNotFound ? { code: 'not_offered' as const } : {}),
        });
      throw err;
    }
  }

  close(): void {
    this.#socket.end();
  }
}
