import { readFileSync, existsSync } from 'node:fs';
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
});
