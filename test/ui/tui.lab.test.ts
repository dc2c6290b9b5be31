import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_MAIN } from '../../src/agent/client.js';
import { labSh, sh, xnet } from '../helpers/cli.js';

// The real UI in a real terminal (tmux) against a real lab host: keys in, screen text out, kernel checked.
const TMUX = ['-L', `xnet-tui-test-${process.pid}`];
const SESSION = 'ui';

function tmux(...args: string[]): string {
  return execFileSync('tmux', [...TMUX, ...args], { encoding: 'utf8' });
}
function screen(): string {
  return tmux('capture-pane', '-p', '-t', SESSION);
}
function keys(...k: string[]): void {
  tmux('send-keys', '-t', SESSION, ...k);
}
function typeText(text: string): void {
  tmux('send-keys', '-t', SESSION, '-l', text);
}
async function waitForScreen(re: RegExp, ms = 15_000): Promise<string> {
  const start = Date.now();
  let last = '';
  while (Date.now() - start < ms) {
    last = screen();
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`screen never matched ${re} within ${ms} ms; it shows:\n${last}`);
}
function ethweAddrs(name: string): string[] {
  const pid = labSh('h1', ['docker', 'inspect', '-f', '{{.State.Pid}}', name]).trim();
  const out = JSON.parse(
    sh('nsenter', [`--net=/proc/${pid}/ns/net`, '--', 'ip', '-json', 'addr', 'show']),
  ) as Array<{
    ifname: string;
    addr_info: Array<{ local: string; prefixlen: number; family: string }>;
  }>;
  return (
    out
      .find((l) => l.ifname === 'ethwe')
      ?.addr_info.filter((a) => a.family === 'inet')
      .map((a) => `${a.local}/${a.prefixlen}`) ?? []
  );
}

describe('the TUI in tmux on a lab host', () => {
  beforeAll(async () => {
    const up = await xnet(['lab', 'up', '--hosts', '1']);
    expect(up.code, up.stderr).toBe(0);
    labSh('h1', ['docker', 'run', '-d', '--name', 'web', 'xnet/busybox', 'sleep', '3600']);
    const env = [
      `LANG=C.UTF-8`,
      `XNET_LAB_ID=${process.env.XNET_LAB_ID ?? ''}`,
      `XDG_CONFIG_HOME=/nonexistent`,
    ];
    tmux(
      'new-session',
      '-d',
      '-s',
      SESSION,
      '-x',
      '100',
      '-y',
      '30',
      // Ink renders nothing but the last frame when CI is set, and CI runs this suite with CI=true.
      'env',
      '-u',
      'CI',
      ...env,
      process.execPath,
      CLI_MAIN,
      '--lab',
      'h1',
    );
  });

  afterAll(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone: the UI quit and its session with it
    }
    await xnet(['lab', 'down']);
  });

  it('opens on the lab host and lists its containers', async () => {
    await waitForScreen(/web\s+running/);
    // The router's state comes with the poll's second batch, a moment after the containers.
    const s = await waitForScreen(/router not launched/, 5_000);
    expect(s).toMatch(/xnet-tui h1 \(lab\)/);
    expect(s).toMatch(/web\s+running/);
    expect(s).toMatch(/Ping checks/);
  });

  it('attaches with a, a container, and a typed CIDR; the address is in the container', async () => {
    keys('a');
    await waitForScreen(/Attach: pick a running container/);
    keys('Enter');
    await waitForScreen(/Attach web: address/);
    typeText('172.25.11.23/24');
    await waitForScreen(/172\.25\.11\.23\/24 is valid/);
    keys('Enter');
    const s = await waitForScreen(/web\s+attached\s+ethwe\s+172\.25\.11\.23\/24/);
    expect(s).toMatch(/attached 172\.25\.11\.23\/24 to web/);
    expect(ethweAddrs('web')).toEqual(['172.25.11.23/24']);
  });

  it('detaches with d and y; the Containers pane and the container both lose it', async () => {
    keys('d');
    await waitForScreen(/Detach 172\.25\.11\.23\/24 from web\?/);
    keys('y');
    const s = await waitForScreen(/web\s+running\s+-/);
    expect(s).toMatch(/detached 172\.25\.11\.23\/24 from web/);
    expect(ethweAddrs('web')).toEqual([]);
  });

  it('o opens the dockerd options with their sources; Esc closes it', async () => {
    keys('o');
    const s = await waitForScreen(/dockerd options on h1[\s\S]*hosts\s+unix:\/\/\S+\s+flag/);
    // The lab's dockerd takes its socket as a flag and nothing from daemon.json: the bridge is dockerd's default.
    expect(s).toMatch(/bridge\s+docker0.*\s+default\s/);
    keys('Escape');
    await waitForScreen(/^(?![\s\S]*dockerd options on h1)[\s\S]*Containers/);
  });

  it('q quits and gives the terminal back', async () => {
    keys('q');
    const start = Date.now();
    while (Date.now() - start < 5_000) {
      try {
        tmux('has-session', '-t', SESSION);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the UI did not exit on q');
  });
});
