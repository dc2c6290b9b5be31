// STAND-IN for Weave Net 2.8.1's router HTTP API (no registry here, so the real router cannot run).
// It serves GET /report from a fixture in the shape of Weave's own status structs (test/fixtures/weave/*.json),
// takes POST /connect and /forget, keeps an IPAM claim table for PUT and DELETE /ip/..., and records every
// request. Control (tests only): POST /_standin/fixture?name=NAME, GET /_standin/requests,
// POST /_standin/own?id=ID&ip=IP (an address another container holds).
// Run inside a lab host's namespace: node weave-standin.mjs FIXTURE_DIR FIXTURE [HOST:PORT] (default 127.0.0.1:6784).
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Starts the stand-in; resolves with its address and a close function. Listens on loopback only. */
export function startStandin({ fixtureDir, fixture, host = '127.0.0.1', port = 6784 }) {
  if (host !== '127.0.0.1') throw new Error('the Weave stand-in listens on 127.0.0.1 only');
  const state = { fixture, requests: [], owners: new Map() };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const reply = (status, text = '', type = 'text/plain') => {
        res.writeHead(status, { 'Content-Type': type });
        res.end(text);
      };
      if (url.pathname.startsWith('/_standin/')) {
        if (url.pathname === '/_standin/fixture') {
          state.fixture = url.searchParams.get('name') ?? state.fixture;
          return reply(204);
        }
        if (url.pathname === '/_standin/requests')
          return reply(200, JSON.stringify(state.requests), 'application/json');
        if (url.pathname === '/_standin/own') {
          state.owners.set(url.searchParams.get('ip'), url.searchParams.get('id'));
          return reply(204);
        }
        return reply(404);
      }
      state.requests.push({ method: req.method, path: url.pathname + url.search, body });
      const ip = /^\/ip\/([^/]+)\/([^/]+)(?:\/(\d+))?$/.exec(url.pathname);
      if (req.method === 'GET' && url.pathname === '/report') {
        // Weave answers JSON only to Accept: application/json; without it, it wants a format template.
        if (req.headers.accept !== 'application/json')
          return reply(400, 'error: must supply one format parameter');
        const text = readFileSync(join(fixtureDir, `${state.fixture}.json`), 'utf8');
        return reply(200, text, 'application/json');
      }
      if (req.method === 'POST' && (url.pathname === '/connect' || url.pathname === '/forget'))
        return reply(200);
      if (req.method === 'PUT' && ip && ip[3]) {
        const holder = state.owners.get(ip[2]);
        if (holder && holder !== ip[1])
          return reply(400, `Unable to claim: address ${ip[2]} is already owned by ${holder}`);
        state.owners.set(ip[2], ip[1]);
        return reply(204);
      }
      if (req.method === 'DELETE' && ip && !ip[3]) {
        if (state.owners.get(ip[2]) !== ip[1])
          return reply(400, `Unable to free: ${ip[2]} not owned by ${ip[1]}`);
        state.owners.delete(ip[2]);
        return reply(204);
      }
      if (req.method === 'DELETE' && url.pathname === '/peer') return reply(200, '0');
      return reply(404, '404 page not found');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const addr = server.address();
      resolve({
        addr: `${host}:${addr.port}`,
        state,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [fixtureDir, fixture, at = '127.0.0.1:6784'] = process.argv.slice(2);
  const [host, port] = at.split(':');
  const s = await startStandin({ fixtureDir, fixture, host, port: Number(port) });
  process.stdout.write(`weave stand-in on ${s.addr}\n`);
}
