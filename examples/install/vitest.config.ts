import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The first test waits for npm pack and npm install (from npm's cache when it holds the
    // packages), the payment tests for a payment server: a busy 2-core machine needs time.
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
