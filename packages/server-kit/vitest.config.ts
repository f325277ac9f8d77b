import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The conformance and fuzz suites are CPU-bound; under `npm test` every package's tests
    // share two cores, and the end-to-end tests start a payment server.
    testTimeout: 30_000,
    hookTimeout: 300_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
