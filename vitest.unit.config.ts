import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: what needs neither root, the lab nor a build, for the edit-test loop. Lab tests
 * (*.lab.test.ts) need root and build their own lab; the ones below run the built CLI and bundle (dist/), so
 * they wait for `npm test`, whose pretest builds. Unit files share no namespaces or dockerds, so vitest may
 * run them side by side.
 */
export const NEEDS_BUILD = [
  'test/agent/rpc.test.ts',
  'test/net/spawner.test.ts',
  'test/ui/bundle.test.ts',
  'test/ui/resize.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/**/*.lab.test.ts', ...NEEDS_BUILD],
    testTimeout: 20_000,
    reporters: ['default'],
  },
});
