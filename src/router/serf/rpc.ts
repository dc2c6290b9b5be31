import { createConnection, type Socket } from 'node:net';
import { decodeMultiStream, encode } from '@msgpack/msgpack';

/**
 * A client for Serf's own RPC protocol (msgpack over TCP, what the `serf` CLI speaks): members, join,
 * leave, and a stream of member events delivered as they happen rather than by fork/exec handlers.
 */

export type MemberStatus = 'alive' | 'leaving' | 'left' | 'failed' | 'none';

export interface SerfMember {
  name: string;
  addr: string;
  port: number;
  tags: Record<string, string>;
  status: MemberStatus;
}

export interface MemberEvent {
  event: string;
  members: SerfMember[];
}

interface RawMember {
  Name: string;
  Addr: Uint8Array | number[];
  Port: number;
  Tags: Record<string, string> | null;
  Status: string;
}

/** Go's net.IP arrives as 4 or 16 raw bytes; IPv4 in 16 bytes is ::ffff:a.b.c.d. */
export function ipFromBytes(bytes: Uint8Array | number[]): string {
  const b = Array.from(bytes);
  const v4 =
    b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 255 && b[11] === 255
      ? b.slice(12)
      : b;
  if (v4.length === 4) return v4.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

function member(raw: RawMember): SerfMember {
  return {
    name: raw.Name,
    addr: ipFromBytes(raw.Addr),
    port: raw.Port,
    tags: raw.Tags ?? {},
    status: (['alive', 'leaving', 'left', 'failed'].includes(raw.Status)
      ? raw.Status
      : 'none') as MemberStatus,
  };
}

function text(payload: Uint8Array | string | undefined): string {
  if (payload === undefined) return '';
  return typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
}

export type KeyCommand = 'install-key' | 'use-key' | 'remove-key' | 'list-keys';

interface RawKeyResponse {
  Messages?: Record<string, string> | null;
  Keys?: Record<string, number> | null;
  NumNodes?: number;
  NumResp?: number;
  NumErr?: number;
}

/** One keyring command's mesh-wide answer. */
export interface KeyringAnswer {
  error: string | undefined;
  /** Member name -> what went wrong there. */
  failures: Record<string, string>;
  /** Alive members asked, members that answered, members that failed. */
  nodes: number;
  responses: number;
  errors: number;
  /** list-keys: each installed key -> how many members hold it. */
  keys: Record<string, number>;
}

interface Pending {
  /** Whether a body follows the response header. */
  body: boolean;
  /** Keyring commands send their body even with an error (which members failed): keep both. */
  bodyOnError?: boolean;
  error?: string;
  resolve: (body: unknown) => void;
  reject: (err: Error) => void;
}

export class SerfRpc {
  readonly #socket: Socket;
  #seq = 0;
  readonly #pending = new Map<number, Pending>();
  readonly #streams = new Map<number, (body: unknown) => void>();
  #bodyFor: number | undefined;
  #closed = false;
  onClose: (err?: Error) => void = () => undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    void this.#read();
  }

  /** Connects, shakes hands and, with a token, authenticates (serf refuses every other command until then). */
  static async connect(addr: string, timeoutMs = 2_000, token?: string): Promise<SerfRpc> {
    const [host, port] = addr.split(':') as [string, string];
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection({ host, port: Number(port) });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`serf RPC at ${addr}: connect timed out`));
      }, timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    socket.setNoDelay(true);
    const rpc = new SerfRpc(socket);
    try {
      await rpc.#request('handshake', { Version: 1 }, false);
      if (token) await rpc.#request('auth', { AuthKey: token }, false);
    } catch (err) {
      rpc.close();
      throw err;
    }
    return rpc;
  }

  async #read(): Promise<void> {
    try {
      for await (const obj of decodeMultiStream(this.#socket as AsyncIterable<Uint8Array>)) {
        if (this.#bodyFor !== undefined) {
          const seq = this.#bodyFor;
          this.#bodyFor = undefined;
          const stream = this.#streams.get(seq);
          if (stream) stream(obj);
          else this.#settle(seq, obj);
          continue;
        }
        const header = obj as { Seq: number; Error: string };
        const pending = this.#pending.get(header.Seq);
        if (header.Error && pending?.bodyOnError) {
          pending.error = header.Error;
          this.#bodyFor = header.Seq;
          continue;
        }
        if (header.Error) {
          if (pending) {
            this.#pending.delete(header.Seq);
            pending.reject(new Error(header.Error));
          }
          continue;
        }
        if (this.#streams.has(header.Seq) && !pending) this.#bodyFor = header.Seq;
        else if (pending?.body) this.#bodyFor = header.Seq;
        else this.#settle(header.Seq, undefined);
      }
      this.#close();
    } catch (err) {
      this.#close(err as Error);
    }
  }

  #settle(seq: number, body: unknown): void {
    const p = this.#pending.get(seq);
    if (!p) return;
    this.#pending.delete(seq);
    p.resolve(p.bodyOnError ? { error: p.error, body } : body);
  }

  #close(err?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#pending.values()) p.reject(err ?? new Error('serf RPC connection closed'));
    this.#pending.clear();
    this.onClose(err);
  }

  #request(command: string, body: unknown, hasBody: boolean, bodyOnError = false): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('serf RPC connection closed'));
    const seq = this.#seq++;
    const promise = new Promise<unknown>((resolve, reject) =>
      this.#pending.set(seq, { body: hasBody, bodyOnError, resolve, reject }),
    );
    this.#socket.write(encode({ Command: command, Seq: seq }));
    if (body !== undefined) this.#socket.write(encode(body));
    return promise;
  }

  async members(): Promise<SerfMember[]> {
    const body = (await this.#request('members', undefined, true)) as { Members: RawMember[] };
    return body.Members.map(member);
  }

  /** Serf's `stats` (what `serf info` prints): sections of name -> value, all strings. */
  async stats(): Promise<Record<string, Record<string, string>>> {
    return (await this.#request('stats', undefined, true)) as Record<string, Record<string, string>>;
  }

  /** Joins through the given `host:port` addresses; resolves with how many answered. */
  async join(existing: string[]): Promise<number> {
    const body = (await this.#request('join', { Existing: existing, Replay: false }, true)) as {
      Num: number;
    };
    return body.Num;
  }

  /**
   * Sets this member's tags (merged into what it has; serf gossips the new set to every member at once). Serf
   * waits for the broadcast to go out before it answers: seconds under load, so not on a connection a read waits on.
   */
  async setTags(tags: Record<string, string>): Promise<void> {
    await this.#request('tags', { Tags: tags, DeleteTags: [] }, false);
  }

  async leave(): Promise<void> {
    await this.#request('leave', undefined, false);
  }

  /**
   * A keyring command (`install-key`, `use-key`, `remove-key`, `list-keys`): Serf runs it as a query on every
   * alive member and answers with who failed (Messages: member -> error) and the counts, error or not.
   */
  async keyring(command: KeyCommand, key?: string): Promise<KeyringAnswer> {
    const { error, body } = (await this.#request(
      command,
      key === undefined ? undefined : { Key: key },
      true,
      true,
    )) as { error?: string; body: RawKeyResponse | undefined };
    return {
      error: error || undefined,
      failures: body?.Messages ?? {},
      nodes: body?.NumNodes ?? 0,
      responses: body?.NumResp ?? 0,
      errors: body?.NumErr ?? 0,
      keys: body?.Keys ?? {},
    };
  }

  /** Subscribes to member events; the callback sees each event as Serf delivers it. */
  async streamMembers(onEvent: (e: MemberEvent) => void): Promise<void> {
    const seq = this.#seq;
    this.#streams.set(seq, (body) => {
      const b = body as { Event: string; Members?: RawMember[] };
      onEvent({ event: b.Event, members: (b.Members ?? []).map(member) });
    });
    await this.#request(
      'stream',
      { Type: 'member-join,member-leave,member-failed,member-update,member-reap' },
      false,
    );
  }

  /** Answers queries named `name` from the mesh with what `answer` returns. */
  async answerQueries(name: string, answer: (payload: string) => string): Promise<void> {
    const seq = this.#seq;
    this.#streams.set(seq, (body) => {
      const b = body as { Event: string; ID: number; Payload?: Uint8Array | string };
      if (b.Event !== 'query') return;
      void this.#request(
        'respond',
        { ID: b.ID, Payload: new TextEncoder().encode(answer(text(b.Payload))) },
        false,
      ).catch(() => undefined);
    });
    await this.#request('stream', { Type: `query:${name}` }, false);
  }

  /** Sends a user event to every member (not coalesced: each one counts); name and payload within 512 bytes. */
  async userEvent(name: string, payload: string): Promise<void> {
    await this.#request(
      'event',
      { Name: name, Payload: new TextEncoder().encode(payload), Coalesce: false },
      false,
    );
  }

  /** Subscribes to user events named `name` (this member's own included); the callback gets the payload. */
  async streamUserEvents(name: string, onEvent: (payload: string) => void): Promise<void> {
    const seq = this.#seq;
    this.#streams.set(seq, (body) => {
      const b = body as { Event: string; Payload?: Uint8Array | string };
      if (b.Event === 'user') onEvent(text(b.Payload));
    });
    await this.#request('stream', { Type: `user:${name}` }, false);
  }

  close(): void {
    this.#socket.destroy();
    this.#close();
  }
}
