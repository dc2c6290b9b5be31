import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { StringDecoder } from 'node:string_decoder';
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
import { CONTAINER_HINT } from '../api/container-ref.js';
import { badInput, XnetError, type ErrorDetail } from '../errors.js';

/** JSON-RPC 2.0, one JSON document per line, over a unix socket only root can open. */

const XNET_ERROR = 1;
/** The largest request line the agent reads; real ones are under a few KiB. Without a cap one line grew the heap to OOM. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** What to do next, for the fields whose rule an operator cannot guess from the message. */
const HINTS: Record<string, string> = {
  container: CONTAINER_HINT,
  from: CONTAINER_HINT,
  nickname: 'give one line of printable characters, e.g. --nickname web1',
};

export type { Handlers } from '../api/index.js';

function zodToBadInput(method: string, err: z.ZodError): XnetError {
  const issue = err.issues[0];
  const field = issue?.path.join('.') || 'params';
  const last = String(issue?.path.at(-1) ?? '');
  return badInput(
    field,
    `${method}: ${field}: ${issue?.message ?? 'invalid'}`,
    HINTS[last] ?? 'see `xnet-tui --help`',
  );
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
    readLines(socket, MAX_REQUEST_BYTES, {
      line: (line) => {
        void server.receiveJSON(line).then((response) => {
          if (response && !socket.destroyed) socket.write(JSON.stringify(response) + '\n');
        });
      },
      tooLong: () => {
        const detail: ErrorDetail = {
          kind: 'bad_input',
          field: 'request',
          message: `request larger than ${MAX_REQUEST_BYTES} bytes without a newline; connection closed`,
          hint: 'send one JSON-RPC request per line',
        };
        // -32600: invalid request. The connection ends: the rest of that line cannot be told from the next.
        socket.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: null,
            error: { code: -32600, message: detail.message, data: detail },
          }) + '\n',
        );
      },
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

/** Splits a socket's input into lines, never holding more than `max` bytes of an unfinished one. */
function readLines(
  socket: Socket,
  max: number,
  on: { line: (l: string) => void; tooLong: () => void },
): void {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let over = false;
  socket.on('data', (chunk: Buffer) => {
    if (over) return;
    pending += decoder.write(chunk);
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (Buffer.byteLength(line) > max) break;
      if (line.trim()) on.line(line);
    }
    if (Buffer.byteLength(pending) > max || nl >= 0) {
      over = true;
      pending = '';
      on.tooLong();
    }
  });
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
