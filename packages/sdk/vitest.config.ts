import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.e2e.test.ts'],
    environment: 'node',
    // Bundles the built SDK for the browser test once, before the suites and with no time-out.
    globalSetup: ['e2e/global-setup.ts'],
    // A payment server (and Chromium) start per file in `beforeAll`, which resolves once
    // they are ready (listening, PGlite migrated, Chromium launched). Alone that takes
    // seconds; on two busy cores the same start outran the widget's 60 s hook time-out, and
    // with two CPU hogs the payment server alone took 40 s. The bound only makes a start that
    // hangs fail.
    hookTimeout: 300_000,
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-report.json' },
  },
});
