import { request } from 'node:http';
import { badInput, failed } from '../../errors.js';
import { WeaveReport } from './report.js';

/** Where `weave launch` puts the router's control API (`--http-addr`): loopback only. */
export const WEAVE_HTTP_ADDR = '127.0.0.1:6784';

interface Reply {
  status: number;
  body: string;
}

/**
 * The Weave router's HTTP API, the one the `weave` script itself calls: the report, connect/forget, and IPAM
 * claims. Every call has a deadline; a router that does not answer is an operator-facing error naming it.
 */
export class WeaveApi {
  readonly base: URL;

  constructor(
    addr: string = WEAVE_HTTP_ADDR,
    private readonly timeoutMs = 5_000,
  ) {
    this.base = new URL(`http://${addr}`);
  }

  #call(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers: {
            ...headers,
            ...(body !== undefined
              ? {
                  'Content-Type': 'application/x-www-form-urlencoded',
                  'Content-Length': Buffer.byteLength(body),
                }
              : {}),
          },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').trim() }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) =>
        reject(
          failed(
            `Weave's router does not answer on ${this.base.host} (${method} ${path}): ${err.code ?? err.message}`,
            'is it running? `xnet-tui status` shows the router, `docker logs weave` says why it stopped',
          ),
        ),
      );
      req.end(body);
    });
  }

  #expect(reply: Reply, what: string, ok: (status: number) => boolean): Reply {
    if (!ok(reply.status))
      throw failed(
        `Weave's router refused ${what}: HTTP ${reply.status}${reply.body ? `: ${reply.body}` : ''}`,
        '`docker logs weave` has the router side of it',
      );
    return reply;
  }

  /** GET /report as JSON: the router's status structs (Router, IPAM, ...). */
  async report(): Promise<WeaveReport> {
    const reply = this.#expect(
      await this.#call('GET', '/report', undefined, { Accept: 'application/json' }),
      'GET /report',
      (s) => s === 200,
    );
    let json: unknown;
    try {
      json = JSON.parse(reply.body);
    } catch (err) {
      throw failed(`Weave's /report is not JSON: ${(err as Error).message}`, 'is another program on 6784?');
    }
    const parsed = WeaveReport.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw failed(
        `Weave's /report has an unexpected shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
        'xnet-tui reads Weave 2.8 reports; check `docker inspect weave` for the image version',
      );
    }
    return parsed.data;
  }

  /** POST /connect peer=...: the router adds the targets and tries them (it reports bad addresses as 400). */
  async connect(peers: string[]): Promise<void> {
    const reply = await this.#call('POST', '/connect', form(peers));
    if (reply.status === 400)
      throw badInput(
        'peer',
        `Weave refused the peer: ${reply.body}`,
        'give peers as host or host:port, e.g. 198.18.0.2 or 198.18.0.2:6783',
      );
    this.#expect(reply, 'POST /connect', (s) => s < 300);
  }

  /** POST /forget peer=...: the router stops (re)connecting to them; live connections stay. */
  async forget(peers: string[]): Promise<void> {
    this.#expect(await this.#call('POST', '/forget', form(peers)), 'POST /forget', (s) => s < 300);
  }

  /**
   * PUT /ip/{id}/{ip}/{len}?check-alive=true, what `weave attach` does for an address it is given: IPAM records
   * that container `id` holds it, or refuses (400) when another container anywhere in the mesh does.
   */
  async claim(containerId: string, cidr: string): Promise<void> {
    const [ip, len] = cidr.split('/');
    const reply = await this.#call('PUT', `/ip/${containerId}/${ip}/${len}?check-alive=true`);
    if (reply.status === 400)
      throw badInput(
        'cidr',
        `Weave's IPAM will not give ${cidr} to this container: ${reply.body.replace(/^Unable to claim: /, '')}`,
        'pick another address; `weave ps` on the other hosts, or `xnet-tui status ipam`, shows who holds what',
      );
    this.#expect(reply, `PUT /ip/.../${ip}/${len}`, (s) => s < 300);
  }

  /** DELETE /ip/{id}/{ip}: gives the address back. Freeing one IPAM no longer has for us is not an error. */
  async release(containerId: string, ip: string): Promise<void> {
    const reply = await this.#call('DELETE', `/ip/${containerId}/${ip}`);
    if (reply.status === 400 && /not (found|owned)|no addresses/i.test(reply.body)) return;
    this.#expect(reply, `DELETE /ip/.../${ip}`, (s) => s < 300);
  }

  /** DELETE /peer: `weave reset` hands this peer's address ranges to the others before it goes. */
  async leave(): Promise<void> {
    this.#expect(await this.#call('DELETE', '/peer'), 'DELETE /peer', (s) => s < 300);
  }
}

function form(peers: string[]): string {
  return peers.map((p) => `peer=${encodeURIComponent(p)}`).join('&');
}
