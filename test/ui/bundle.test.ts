import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `npm run build` (run by pretest) bundles the UI for start-up time; the CLI loads the bundle when it exists.
const BUNDLE = new URL('../../dist/ui/bundle/main.js', import.meta.url);

describe('the UI bundle', () => {
  it('is built and exports what the CLI loads from it', async () => {
    expect(existsSync(BUNDLE)).toBe(true);
    const mod = (await import(BUNDLE.href)) as Record<string, unknown>;
    expect(Object.keys(mod).sort()).toEqual(['connectAgent', 'runTui']);
    expect(typeof mod.runTui).toBe('function');
  });

  it('imports nothing from node_modules at run time (all of it is inside, the optional devtools aside)', () => {
    const text = readFileSync(BUNDLE, 'utf8');
    const imports = [...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((s) => !s.startsWith('node:') && !s.startsWith('./'))).toEqual([]);
  });

  it('allocates no deprecated Buffer: Node would print DEP0005 over the screen from the braille canvas', () => {
    expect(readFileSync(BUNDLE, 'utf8')).not.toMatch(/new Buffer\(/);
  });

  it('starts a missing agent from the bundle (the CLI is found from the package, not from the bundle)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xnet-bundle-'));
    const socket = join(dir, 'agent.sock');
    const { connectAgent } = (await import(BUNDLE.href)) as {
      connectAgent: (
        o: object,
      ) => Promise<{ call: (m: string, p: object) => Promise<unknown>; close: () => void }>;
    };
    // No dockerd behind it: the agent still answers, and says so.
    const c = await connectAgent({
      socket,
      autostart: true,
      stateDir: dir,
      dockerHost: `unix://${dir}/none.sock`,
    });
    const s = (await c.call('status', {})) as { pid: number; socket: string; docker: { reachable: boolean } };
    c.close();
    process.kill(s.pid, 'SIGTERM');
    expect(s.socket).toBe(socket);
    expect(s.docker.reachable).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });
});
