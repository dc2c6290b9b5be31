import { PULL_PORT } from './description.js';
import { createServer, request, type Server } from 'node:http';
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * The full sync of the address table: a member's own list pulled straight from it over the underlay (TCP,
 * beside Serf's gossip port), not paged through Serf (512-byte event and query payloads would take hundreds
 * of messages for a few thousand entries, each gossiped to every member). Who a list is about is who we
 * connected to, at its gossip address: a list never says where its host is.
 *
 * With a mesh password, the pull is authenticated with the mesh key (Serf's keyring, every key in it, so a
 * rotation in progress keeps working): the request carries an HMAC over a fresh nonce, and the answer is
 * AES-256-GCM sealed with the nonce as associated data, so it is secret, untampered and fresh. Without a
 * password the gossip is open, and so is this.
 */

// PULL_PORT is said in the driver's description, which doctor reads too.
export { PULL_PORT };
const PATH = '/xnet/addresses/v1';
const MAX_BODY = 16 * 1024 * 1024;

/** A subkey per purpose: the gossip key itself is never used for anything but gossip. */
function subkey(meshKeyBase64: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(meshKeyBase64, 'base64'), '', 'xnet-address-pull', 32));
}

function proof(key: Buffer, nonce: string, server: string): Buffer {
  return createHmac('sha256', key).update(`${PATH}\n${nonce}\n${server}`).digest();
}

/** Seals `body` for the requester of `nonce`: iv (12) + tag (16) + ciphertext, base64. */
export function seal(key: Buffer, nonce: string, body: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(nonce));
  const data = Buffer.concat([c.update(body, 'utf8'), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), data]).toString('base64');
}

/** Opens what seal made for `nonce` with one of `keys`; undefined when none of them sealed it. */
export function open(keys: readonly Buffer[], nonce: string, sealed: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64');
  if (raw.length < 28) return undefined;
  for (const key of keys) {
    try {
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      d.setAAD(Buffer.from(nonce));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
    } catch {
      /* not this key */
    }
  }
  return undefined;
}

export interface PullOptions {
  /** The mesh keys (base64, primary first) as Serf's keyring has them now; empty: no mesh password. */
  keys: () => Promise<string[]>;
}

/** Serves this host's own list to members on `address:PULL_PORT`. */
export async function servePulls(
  address: string,
  o: PullOptions & { list: () => unknown; log: (msg: string) => void },
): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' || req.url !== PATH) {
        res.writeHead(404).end();
        return;
      }
      const keys = (await o.keys()).map(subkey);
      const nonce = String(req.headers['x-xnet-nonce'] ?? '');
      const body = JSON.stringify(o.list());
      if (keys.length === 0) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
        return;
      }
      const given = Buffer.from(String(req.headers['x-xnet-proof'] ?? ''), 'base64');
      const key = keys.find((k) => {
        const want = proof(k, nonce, address);
        return nonce.length >= 16 && given.length === want.length && timingSafeEqual(given, want);
      });
      if (!key) {
        o.log(`address pull from ${req.socket.remoteAddress} refused: not signed with the mesh key`);
        res.writeHead(403).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(seal(key, nonce, body));
    })().catch(() => res.destroy());
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(PULL_PORT, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Pulls the list member `address` serves; rejects on any failure (network, refused, unsealed). */
export async function pull(address: string, o: PullOptions, timeoutMs = 3_000): Promise<unknown> {
  const keys = (await o.keys()).map(subkey);
  const nonce = randomBytes(18).toString('base64');
  const headers: Record<string, string> = { 'x-xnet-nonce': nonce };
  if (keys[0]) headers['x-xnet-proof'] = proof(keys[0], nonce, address).toString('base64');
  let settled = false;
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(
      {
        host: address,
        port: PULL_PORT,
        path: PATH,
        method: 'GET',
        headers,
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`${address} answered ${res.statusCode}`));
          return;
        }
        let size = 0;
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => {
          size += b.length;
          if (size > MAX_BODY) req.destroy(new Error(`${address}: list over ${MAX_BODY} bytes`));
          else parts.push(b);
        });
        res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      // As in LongLivedChild: I/O that came while the agent had no CPU is read before the timeout counts.
      setImmediate(() => {
        if (!settled) req.destroy(new Error(`${address}: no answer within ${timeoutMs} ms`));
      }),
    );
    req.on('error', reject);
    req.end();
  }).finally(() => (settled = true));
  if (keys.length === 0) return JSON.parse(text) as unknown;
  const body = open(keys, nonce, text);
  if (body === undefined) throw new Error(`${address}: the list is not sealed with the mesh key`);
  return JSON.parse(body) as unknown;
}
