import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // One payment server and seven shops start per run (Next.js compiles on first request); a busy 2-core machine needs time.
    hookTimeout: 120_000,
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
