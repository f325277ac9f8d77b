import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.e2e.test.ts'],
    // The whole demo and Chromium start once for the file; a busy 2-core machine needs time.
    hookTimeout: 180_000,
    testTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
