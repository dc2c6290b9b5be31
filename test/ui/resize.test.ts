import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
const execFileAsync = promisify(execFile);
/**
 * The pane's cells with their colours and attributes (-e), one line per row. Not execFileSync: the fake agent
 * answers on this process's event loop, and a loaded machine makes each tmux call slow.
 */
async function capture(session: string): Promise<string> {
  const r = await execFileAsync('tmux', [...TMUX, 'capture-pane', '-e', '-p', '-t', session], {
    encoding: 'utf8',
  });
  return r.stdout;
}
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
/**
 * The text one sees, each row without its trailing blanks: tmux keeps a blank the UI wrote over an earlier
 * frame's text but not one it never wrote, and which it is depends on the frames before the last one (a fresh
 * UI draws an answer's frame or not depending on when the answer comes), not on the screen.
 */
const seen = (s: string): string =>
  plain(s)
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
/**
 * A blank cell whose style shows nothing on it: a foreground colour, bold or dim, but no background, reverse,
 * underline, strike-through or overline. Whether a row ends in such blanks or in none depends on what the frames
 * before the last one wrote there, not on what one sees.
 */
function invisibleBlank(cell: string): boolean {
  const m = /^(?:\x1b\[([0-9;]*)m)? $/.exec(cell); // eslint-disable-line no-control-regex
  if (!m) return false;
  const shown = (n: number): boolean =>
    [4, 7, 9, 53].includes(n) || (n >= 40 && n <= 48) || (n >= 100 && n <= 107);
  return !(m[1] ?? '').split(';').map(Number).some(shown);
}
/**
 * Each row as the cells one sees, a character and the style it is drawn in; trailing invisible blanks dropped.
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
    while (r.length > 0 && invisibleBlank(r[r.length - 1]!)) r.pop();
    return r.join('');
  });
}

/**
 * A frame the UI drew whole at cols x rows with every answer in: the header's clock in the last column, the
 * footer at the bottom (neither is where tmux's crop of an older frame puts them), the mesh's peers, and
 * no question to the agent still on screen. Quiet alone is no sign: a UI starved by a loaded machine is quiet too.
 */
function lastFrame(screen: string, cols: number, rows: number): boolean {
  const lines = plain(screen).split('\n');
  const header = (lines[0] ?? '').trimEnd();
  return (
    header.length === cols &&
    /\d\d:\d\d$/.test(header) &&
    lines.slice(rows - 2, rows).some((l) => /q quit/.test(l)) &&
    /Peers[\s\S]*three/.test(plain(screen)) &&
    !/asking the agent/.test(plain(screen))
  );
}

/** Waits until the screen is the UI's last frame at cols x rows and has not changed for a second. */
async function settled(session: string, cols: number, rows: number, ms = 120_000): Promise<string> {
  const start = Date.now();
  let last = '';
  let since = Date.now();
  while (Date.now() - start < ms) {
    const now = await capture(session);
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (lastFrame(now, cols, rows) && Date.now() - since >= 1_200) return now;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `screen of ${session} never showed a whole ${cols}x${rows} frame within ${ms} ms; it shows:\n${plain(last)}`,
  );
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

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xnet-resize-'));
    socket = join(dir, 'agent.sock');
    server = await listen(
      socket,
      rpcServer(fakeAgent(), () => undefined),
    );
    start('live', 100, 30);
    await settled('live', 100, 30);
  }, 180_000);

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
      // The live UI is stopped from the resize until 3 s into the wait for its screen, as a loaded machine may
      // stop it: what it shows meanwhile (tmux's crop of its old frame, unchanged) is no answer; its new frame is.
      const pid = Number(tmux('list-panes', '-t', 'live', '-F', '#{pane_pid}').trim());
      process.kill(pid, 'SIGSTOP');
      resize('live', cols, rows);
      const fresh = `fresh${cols}`;
      start(fresh, cols, rows);
      try {
        const want = await settled(fresh, cols, rows);
        setTimeout(() => process.kill(pid, 'SIGCONT'), 3_000);
        const got = await settled('live', cols, rows);
        expect(seen(got)).toBe(seen(want));
        expect(cells(got)).toEqual(cells(want));
      } finally {
        process.kill(pid, 'SIGCONT');
        tmux('kill-session', '-t', fresh);
      }
    }, 300_000);
  }
});
