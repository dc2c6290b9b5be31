import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type Method } from '../../src/api/index.js';
import { CLI_MAIN } from '../../src/agent/client.js';
import { listen, rpcServer, type Handlers } from '../../src/agent/rpc.js';
import { XnetError } from '../../src/errors.js';
import { cellsOf } from '../../src/ui/cells.js';
import { containers, NOW, pingChecks, router, status } from './fixtures.js';

// The real UI (dist/, the real DiffTerminal and Ink) in a real terminal (tmux), resized, compared cell for cell
// with a UI started fresh at the new size. The agent is a fake that answers the frame tests' fixtures: only
// frozen data lets two screens be compared exactly, and what is under test is the screen, not the agent.
const TMUX = ['-L', `xnet-tui-resize-${process.pid}`];
/** 14:05:00 on the fixtures' day: the header reads 14:05 for the minute the test may take. */
const CLOCK_AT = NOW - (NOW % 60_000);
const CLOCK = fileURLToPath(new URL('./shifted-clock.mjs', import.meta.url));

function tmux(...args: string[]): string {
  return execFileSync('tmux', [...TMUX, ...args], { encoding: 'utf8' });
}
/** The pane's cells with their colours and attributes (-e), one line per row. */
function capture(session: string): string {
  return tmux('capture-pane', '-e', '-p', '-t', session);
}
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
/**
 * Each row as the cells one sees, a character and the style it is drawn in; trailing default blanks dropped.
 * tmux writes a style change only where it differs from the cell before, across rows too, and whether a cleared
 * cell or a never-written one ends a row shows in that encoding but not on the screen.
 */
function cells(capture: string): string[] {
  const all = cellsOf(capture);
  if (!all) throw new Error(`a capture this test cannot split into cells:\n${capture}`);
  const rows: string[][] = [[]];
  for (const c of all) {
    if (c.ch === '\n') rows.push([]);
    else rows[rows.length - 1]!.push(`${c.sgr}${c.ch}`);
  }
  return rows.map((r) => {
    while (r[r.length - 1] === ' ') r.pop();
    return r.join('');
  });
}

/** Waits until the screen shows `re` and has not changed for a second (a poll or two went by). */
async function settled(session: string, re: RegExp, ms = 20_000): Promise<string> {
  const start = Date.now();
  let last = '';
  let since = Date.now();
  while (Date.now() - start < ms) {
    const now = capture(session);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (re.test(plain(now)) && Date.now() - since >= 1_200) return now;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`screen of ${session} never settled on ${re} within ${ms} ms; it shows:\n${plain(last)}`);
}

/** A fake agent: the fixtures' mesh host, with no counters or captured rates (they would move). */
function fakeAgent(): Handlers {
  const refuse = (m: string) => async (): Promise<never> => {
    throw new XnetError({ kind: 'failed', message: `${m}: not offered by this fake agent` });
  };
  const h = Object.fromEntries(Object.keys(api).map((m) => [m, refuse(m)])) as unknown as Handlers;
  const answer = <M extends Method>(m: M, f: Handlers[M]): void => {
    h[m] = f;
  };
  answer('status', async () => status);
  answer('containers', async () => ({ containers }));
  answer('router', async () => router);
  answer('pings', async () => ({ intervalMs: 500, checks: pingChecks, events: [] }));
  return h;
}

describe('the TUI in tmux, resized', () => {
  let dir: string;
  let socket: string;
  let server: Server;
  const wall = Date.now();

  const start = (session: string, cols: number, rows: number): void => {
    tmux(
      'new-session', '-d', '-s', session, '-x', String(cols), '-y', String(rows),
      // Ink renders nothing but the last frame when CI is set, and CI runs this suite with CI=true.
      'env', '-u', 'CI', 'LANG=C.UTF-8', 'TZ=UTC', 'XDG_CONFIG_HOME=/nonexistent',
      `XNET_TEST_CLOCK_AT=${CLOCK_AT}`, `XNET_TEST_CLOCK_WALL=${wall}`, `NODE_OPTIONS=--import=${CLOCK}`,
      process.execPath, CLI_MAIN, '--socket', socket, '--no-start',
    ); // prettier-ignore
    // tmux sizes a detached session's window to the latest client otherwise.
    tmux('set-option', '-t', session, 'window-size', 'manual');
  };
  const resize = (session: string, cols: number, rows: number): void => {
    tmux('resize-window', '-t', session, '-x', String(cols), '-y', String(rows));
  };
  const ready = /Peers[\s\S]*three/;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xnet-resize-'));
    socket = join(dir, 'agent.sock');
    server = await listen(
      socket,
      rpcServer(fakeAgent(), () => undefined),
    );
    start('live', 100, 30);
    await settled('live', ready);
  });

  afterAll(() => {
    try {
      tmux('kill-server');
    } catch {
      // no session left
    }
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [cols, rows] of [
    [80, 24],
    [160, 48],
  ] as const) {
    it(`after 100x30 -> ... -> ${cols}x${rows} the screen is the one a fresh start draws`, async () => {
      resize('live', cols, rows);
      const fresh = `fresh${cols}`;
      start(fresh, cols, rows);
      try {
        const want = await settled(fresh, ready);
        const got = await settled('live', ready);
        expect(plain(got)).toBe(plain(want));
        expect(cells(got)).toEqual(cells(want));
      } finally {
        tmux('kill-session', '-t', fresh);
      }
    });
  }
});
