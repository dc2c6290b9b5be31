import { defineConfig } from 'vitest/config';

// Lab tests share one machine's namespaces and dockerds: run files one at a time.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    reporters: ['default'],
  },
});
