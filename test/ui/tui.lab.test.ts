import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSh, sh } from '../helpers/cli.js';
import { labMesh } from '../helpers/mesh.js';
import { tmuxTui } from '../helpers/tmux.js';

// The real UI in a real terminal (tmux) against a real lab host: keys in, screen text out, kernel checked.
const lab = labMesh({ hosts: 1, containers: [{ host: 'h1', name: 'web' }], launch: false });
const SESSION = 'ui';
const { tmux, keys, typeText, waitForScreen, kill, open } = tmuxTui('xnet-tui-test', { session: SESSION });

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
    await lab.up();
    open('h1', { cols: 100, rows: 30 });
  });

  afterAll(async () => {
    kill();
    await lab.down();
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
