import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Property runs and dynalite-backed suites do real work; none of them measures time.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
