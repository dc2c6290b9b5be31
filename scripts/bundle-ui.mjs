#!/usr/bin/env node
// Bundles what the UI process loads after its splash (dist/ui/main.js: the UI, Ink, React, yoga and the agent
// client) into dist/ui/bundle/. Node's ESM loader spends ~0.35 s resolving and reading the ~700 small modules
// one by one; one file loads in ~0.1 s. Run by `npm run build` after tsc, from the files tsc wrote.
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dist = (path) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url)); // from any working directory
rmSync(dist('ui/bundle'), { recursive: true, force: true }); // no chunk of an earlier build left behind

// blessed-contrib's braille canvas allocates with the deprecated `new Buffer(n)`. Node keeps quiet about that
// only for code under node_modules; inside the bundle it would print DEP0005 over the screen. `Buffer.alloc`
// is the same zero-filled buffer.
const drawilleBuffer = {
  name: 'drawille-buffer',
  setup(b) {
    b.onLoad({ filter: /drawille-blessed-contrib[\\/]index\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8').replace(/new Buffer\(/g, 'Buffer.alloc('),
      loader: 'js',
    }));
  },
};

await build({
  plugins: [drawilleBuffer],
  entryPoints: { main: dist('ui/main.js') },
  outdir: dist('ui/bundle'),
  bundle: true,
  splitting: true, // Ink's devtools stay a separate chunk, loaded only when DEV=true
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'], // jsonc-parser's UMD build requires files esbuild cannot see
  // Not in the UI's graph (a guard against one creeping in), or optional and never installed.
  external: ['dockerode', 'pcap', 'react-devtools-core'],
  define: { 'process.env.NODE_ENV': '"production"' },
  // CommonJS dependencies inside the bundle require Node's built-ins.
  banner: {
    js: "import { createRequire as __xnetRequire } from 'node:module'; const require = __xnetRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
