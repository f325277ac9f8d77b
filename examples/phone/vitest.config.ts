import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'e2e/**/*.e2e.test.ts'],
    environment: 'node',
    // A payment server, the app's server and Chromium start per file; a busy 2-core machine needs time.
    hookTimeout: 300_000,
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
